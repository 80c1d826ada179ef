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
import {
  compareSides,
  HTTP_LOAD,
  PROFILE_LOAD,
  describeLoadProfile,
  loadProblems,
  profiledPass,
  type LoadTarget,
} from './support/load.js'
import { placeShare } from './support/cpu_profile.js'
import { SETTLE_MS, perRequest, readCounters } from './support/pg_counters.js'
import { loadMeasures, verdict, type Benchmark } from './support/report.js'

const INVOICES = 10_000
const PER_PAGE = 20
const PAGES = INVOICES / PER_PAGE
const WARMUP_SECONDS = 2
const PROBE_REQUESTS = 100
/** The baseline's statements per request: the token check (3) and the page (1). */
const STATEMENTS = 4

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
      resources.pool,
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
        return (await response.json()) as unknown
      })
    )
    const findings: string[] = []
    const [appBody, baselineBody] = samples.map((body) => JSON.stringify(body))
    if (appBody !== baselineBody) {
      findings.push(`The baseline's page differs from the app's: ${appBody} vs ${baselineBody}`)
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
        connections: HTTP_LOAD.connections,
        warmupSeconds: WARMUP_SECONDS,
        seconds: HTTP_LOAD.seconds,
        rounds: HTTP_LOAD.rounds,
      },
      log
    )
    await baselineServer.stop()
    const idleSince = performance.now()

    log(`profiling a second web under the same load for ${PROFILE_LOAD.seconds} s`)
    const profile = await profiledPass(
      (nodeFlags) => startWeb(resources, {}, { nodeFlags }),
      (server) => target(server.baseUrl, server.process.pid),
      PROFILE_LOAD
    )

    log(
      `counting statements per request on ${PROBE_REQUESTS} sequential requests (PostgreSQL statistics)`
    )
    // Every backend's statistics flushed: the web's once idle (the profiled
    // pass ran meanwhile), the baseline's and the profiled web's at exit
    await sleep(Math.max(0, SETTLE_MS - (performance.now() - idleSince)))
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
      `The app spends ${app.cpuMsPerRequest?.toFixed(2)} ms of CPU per page, the baseline ${base.cpuMsPerRequest?.toFixed(2)} ms, for the same ${STATEMENTS} statements: the access-token check of @adonisjs/auth (select, update last_used_at, select user), then one statement that counts the user's invoices and builds the page's JSON in PostgreSQL (json_agg of json_build_object with the embedded client, check-in and relances; timestamps as epoch milliseconds, written in the process's zone as luxon would).`,
      'Before (Lucid paginate with three preloads, InvoiceTransformer): 8 statements, 4.44 ms of CPU per page against 0.81 for the same SQL raw, 33% of the baseline; ~120 models hydrated per page (a luxon DateTime per timestamp column) and 61 nested transformer calls, each capturing a stack trace (`new RuntimeException()` in @adonisjs/http-transformers) and resolved through the IoC container.'
    )
    findings.push(describeLoadProfile(profile, PROFILE_LOAD))
    const share = (place: string) => placeShare(profile, place)
    findings.push(
      `Where the rest goes: our code (app, start, config) is ${share('ours (app, start, config)')}% of the profiled time (mostly writing the timestamps); the framework's safe JSON serializer of the body (@poppinss/utils) ${share('@poppinss/utils')}%, knex ${share('knex')}%, Lucid ${share('@adonisjs/lucid')}% and @adonisjs/auth ${share('@adonisjs/auth')}% (the access-token guard's three statements and two models), the pg driver ${share('pg')}% (parsing the page's JSON), the IoC container ${share('@adonisjs/fold')}%. ` +
        `The socket writes at the top (writev, writeUtf8String) are the kernel's loopback sends plus, the profile being wall-clock, time waiting for a core: the main thread was sampled busy ${profile.busyMs} ms of ${profile.wallMs} ms while the process got ${profile.cpuMs ?? '?'} ms of CPU (/proc, all its threads), waiting for one of the 2 cores it shares with PostgreSQL and the load generator; the statements are the baseline's.`
    )
    findings.push(
      `Statements per request: ${counted.statements} (table reads per request: ${tables}). ` +
        "Constant: whatever the user's invoice count and the page size, one statement for the page; inside it each invoice of the page looks up its check-in and relances by index (at most perPage lookups each, no statement per invoice)."
    )

    return {
      measures: [
        ...loadMeasures(app, base),
        {
          measure: 'statements per request',
          unit: 'count',
          value: counted.statements,
          baseline: STATEMENTS,
          goal: 'constant, no N+1',
          verdict: verdict(counted.statements <= STATEMENTS + 0.5),
          note: tables,
        },
      ],
      method: [
        `One user with ${INVOICES} invoices over 40 clients, 50 other users with 10,000 more; every invoice has a check-in and 3 relances.`,
        `Pages drawn from a fixed pseudo-random sequence over 1..${PAGES}, perPage=${PER_PAGE}, bearer token from POST /auth/register.`,
        `autocannon, ${HTTP_LOAD.connections} connections, ${WARMUP_SECONDS} s warmup per side, then ${HTTP_LOAD.rounds} alternating rounds (baseline first) for ${HTTP_LOAD.seconds} s per side in all; server CPU = user + system time of the server process over the measured rounds, per request.`,
        `Baseline: bench/support/baseline_server.ts, node:http + pg (pool 10): the access-token check as @adonisjs/auth does it (select, update last_used_at, select user), then the app's statement for the count and the page's JSON, the same timestamp formatting; its statement count is ${STATEMENTS} by construction. Before the load, one page from each side is compared byte for byte.`,
        `Statements per request: PostgreSQL's own counters for the bench database (pg_stat_database committed transactions, pg_stat_user_tables scans) around ${PROBE_REQUESTS} sequential requests, read after an ${SETTLE_MS / 1000} s settle (PostgreSQL flushes backend statistics lazily), minus the readings' own transactions. Each statement of this route runs outside a transaction, so transactions = statements.`,
      ],
      findings,
      details: { app, baseline: base, statementCount: counted, profile },
    }
  },
}

export default invoiceList
