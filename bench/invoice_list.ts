/*
| 2. Invoice list: GET /api/v1/invoices?page=N&perPage=20 for a user with
| 10,000 invoices, against the app and against a bare node:http + pg server
| running the same statements; plus the statements per request, counted by
| PostgreSQL.
*/
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_HEADERS } from './support/environment.js'
import { analyze, seedCheckins, seedInvoices, seedRelances, seedUsers } from './support/seed.js'
import { registerUser } from './support/api.js'
import { startBaselineServer, startWeb } from './support/processes.js'
import { compareSides, loadProblems, type LoadTarget } from './support/load.js'
import { SETTLE_MS, perRequest, readCounters } from './support/pg_counters.js'
import { loadMeasures, verdict, type Benchmark } from './support/report.js'

const INVOICES = 10_000
const PER_PAGE = 20
const PAGES = INVOICES / PER_PAGE
const CONNECTIONS = 10
const WARMUP_SECONDS = 2
const MEASURE_SECONDS = 10
const ROUNDS = 2
const PROBE_REQUESTS = 100

/** A fixed spread of pages, the same sequence on both sides. */
function pageSequence() {
  let state = 7
  return () => {
    state = (state * 48_271) % 2_147_483_647
    return 1 + (state % PAGES)
  }
}

const invoiceList: Benchmark = {
  name: 'invoice_list',
  title: `Invoice list: GET /api/v1/invoices?page=N&perPage=${PER_PAGE}, user with ${INVOICES.toLocaleString('en-US')} invoices`,
  async run({ resources, defer, log }) {
    const { pool } = resources
    const web = await startWeb(resources)
    defer(() => web.stop())

    const { userId, authorization } = await registerUser(
      web.baseUrl,
      'Camille Bench',
      'camille@bench.test'
    )

    log(`seeding ${INVOICES} invoices for one user (and 10,000 for 50 others)`)
    const others = await seedUsers(pool, 'list', 50)
    const mine = await seedInvoices(pool, {
      tag: 'LIST',
      userIds: [userId],
      count: INVOICES,
      clientsPerUser: 40,
    })
    const theirs = await seedInvoices(pool, {
      tag: 'OTHER',
      userIds: others,
      count: 10_000,
      clientsPerUser: 5,
    })
    const all = [...mine, ...theirs].map((invoice) => invoice.id)
    await seedRelances(pool, all)
    const half = Math.floor(all.length / 2)
    await seedCheckins(pool, all.slice(0, half), {
      status: 'scheduled',
      scheduledAt: new Date(Date.now() + 7 * 86_400_000),
    })
    await seedCheckins(pool, all.slice(half), {
      status: 'sent',
      scheduledAt: new Date(Date.now() - 86_400_000),
      sentAt: new Date(Date.now() - 86_400_000),
    })
    await analyze(pool)

    const baselineServer = await startBaselineServer(resources)
    defer(() => baselineServer.stop())
    const targets = { app: web.baseUrl, baseline: baselineServer.baseUrl }

    // Both answer the same page with the same invoices and the same keys
    const samples = await Promise.all(
      Object.values(targets).map(async (url) => {
        const response = await fetch(`${url}/api/v1/invoices?page=7&perPage=${PER_PAGE}`, {
          headers: { authorization, ...BENCH_HEADERS },
        })
        return (await response.json()) as { data: Record<string, unknown>[]; meta: unknown }
      })
    )
    const shape = (body: (typeof samples)[number]) =>
      JSON.stringify({
        ids: body.data.map((invoice) => invoice.id),
        keys: Object.keys(body.data[0] ?? {}).sort(),
        meta: body.meta,
      })
    const findings: string[] = []
    if (shape(samples[0]) !== shape(samples[1])) {
      findings.push(
        `The baseline's page differs from the app's: ${shape(samples[0])} vs ${shape(samples[1])}`
      )
    }

    const target = (url: string, pid: number): LoadTarget => {
      const nextPage = pageSequence()
      return {
        url,
        pid,
        headers: { authorization },
        nextPath: () => `/api/v1/invoices?page=${nextPage()}&perPage=${PER_PAGE}`,
        check: (status) => status === 200,
      }
    }
    const { app, baseline: base } = await compareSides(
      {
        app: target(targets.app, web.process.pid),
        baseline: target(targets.baseline, baselineServer.process.pid),
      },
      {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        seconds: MEASURE_SECONDS,
        rounds: ROUNDS,
      },
      log
    )
    await baselineServer.stop()

    log(
      `counting statements per request on ${PROBE_REQUESTS} sequential requests (PostgreSQL statistics)`
    )
    // Every backend's statistics flushed: the web's once idle, the baseline's at exit
    await sleep(SETTLE_MS)
    const first = await readCounters(resources)
    await sleep(300)
    const before = await readCounters(resources)
    const own = before.transactions - first.transactions
    const nextPage = pageSequence()
    for (let index = 0; index < PROBE_REQUESTS; index++) {
      const response = await fetch(
        `${web.baseUrl}/api/v1/invoices?page=${nextPage()}&perPage=${PER_PAGE}`,
        { headers: { authorization, ...BENCH_HEADERS } }
      )
      if (response.status !== 200) throw new Error(`probe request answered ${response.status}`)
      await response.arrayBuffer()
    }
    await sleep(SETTLE_MS)
    const after = await readCounters(resources)
    const counted = perRequest(before, after, PROBE_REQUESTS, own)

    findings.push(...loadProblems('app', app), ...loadProblems('baseline', base))
    const tables = Object.entries(counted.scansByTable)
      .map(([table, scans]) => `${table} ${scans}`)
      .join(', ')
    findings.push(
      `The app spends ${app.cpuMsPerRequest?.toFixed(2)} ms of CPU per page, the baseline ${base.cpuMsPerRequest?.toFixed(2)} ms, for the same 8 statements.`,
      'Profile of the web under this load (during the investigation): Lucid hydration of ~120 models per page (20 invoices, their check-ins, 60 relances, the clients: proxied attributes, a luxon DateTime per timestamp column) and the transformer layer: each nested `Transformer.transform()` call captures a stack trace (`new RuntimeException()` in @adonisjs/http-transformers) and is resolved through the IoC container, 61 calls per page (~6% of the CPU in the exception constructor alone); then safe-stringify of the body.',
      "Tried, not kept: building the embedded client, check-in and relances with plain `pick()` in InvoiceTransformer cut CPU per page by ~10% (5.1 → 4.6 ms) without closing the gap, at the price of a second copy of the embedded transformers' fields."
    )
    findings.push(
      `Statements per request: ${counted.statements} (table reads per request: ${tables}). ` +
        'Constant in the page size: the client, check-in and relances of a page are each loaded with one `WHERE … IN (…)` query (no N+1).'
    )

    return {
      measures: [
        ...loadMeasures(app, base),
        {
          measure: 'statements per request',
          unit: 'count',
          value: counted.statements,
          baseline: 8,
          goal: 'constant, no N+1',
          verdict: verdict(counted.statements <= 8.5),
          note: tables,
        },
      ],
      method: [
        `One user with ${INVOICES} invoices over 40 clients, 50 other users with 10,000 more; every invoice has a check-in and 3 relances.`,
        `Pages drawn from a fixed pseudo-random sequence over 1..${PAGES}, perPage=${PER_PAGE}, bearer token from POST /auth/register.`,
        `autocannon, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warmup per side, then ${ROUNDS} alternating rounds (baseline first) for ${MEASURE_SECONDS} s per side in all; server CPU = user + system time of the server process over the measured rounds, per request.`,
        'Baseline: bench/support/baseline_server.ts, node:http + pg (pool 10): the access-token check as @adonisjs/auth does it (select, update last_used_at, select user), count, page, and the three `IN` loads, one after the other, the same JSON; its baseline statement count is 8 by construction.',
        `Statements per request: PostgreSQL's own counters for the bench database (pg_stat_database committed transactions, pg_stat_user_tables scans) around ${PROBE_REQUESTS} sequential requests, read after an ${SETTLE_MS / 1000} s settle (PostgreSQL flushes backend statistics lazily), minus the readings' own transactions. Each statement of this route runs outside a transaction, so transactions = statements.`,
      ],
      findings,
      details: { app, baseline: base, statementCount: counted },
    }
  },
}

export default invoiceList
