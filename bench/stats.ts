/*
| 8. Stats: GET /api/v1/stats for a user with 10,000 invoices (pending, paid,
| cancelled, two currencies, promised holds), against the app and against the
| bare node:http + pg server running the same statement.
*/
import { BENCH_HEADERS } from './support/environment.js'
import { analyze, seedInvoices, seedUsers } from './support/seed.js'
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
import { loadMeasures, type Benchmark } from './support/report.js'

const INVOICES = 10_000
const WARMUP_SECONDS = 2

const stats: Benchmark = {
  name: 'stats',
  title: `Stats: GET /api/v1/stats, user with ${INVOICES.toLocaleString('en-US')} invoices`,
  async run({ resources, defer, log }) {
    const { pool } = resources
    const web = await startWeb(resources)
    defer(() => web.stop())
    const { userId, authorization } = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Stats',
      'camille@stats.bench.test'
    )

    log(`seeding ${INVOICES} invoices for one user (and 10,000 for 50 others)`)
    const mine = await seedInvoices(pool, {
      tag: 'STATS',
      userIds: [userId],
      count: INVOICES,
      clientsPerUser: 40,
    })
    const others = await seedUsers(pool, 'stats', 50)
    await seedInvoices(pool, { tag: 'OTHER', userIds: others, count: 10_000, clientsPerUser: 5 })
    // A year of history: issued over 400 days, a third paid (early or late),
    // some cancelled, a tenth in USD, some pending ones promised
    await pool.query(
      `UPDATE invoices SET
         currency = CASE WHEN id % 10 = 0 THEN 'USD' ELSE 'EUR' END,
         issued_at = current_date - (id % 400),
         due_date = current_date - (id % 400) + 30,
         status = CASE WHEN id % 3 = 0 THEN 'paid' WHEN id % 17 = 0 THEN 'cancelled' ELSE 'pending' END,
         paid_at = CASE WHEN id % 3 = 0 THEN now() - (id % 380) * interval '1 day' END,
         paid_via = CASE WHEN id % 3 = 0 THEN 'manual' END
       WHERE id = ANY($1::int[])`,
      [mine.map((invoice) => invoice.id)]
    )
    await pool.query(
      `UPDATE invoices SET hold_reason = 'payment_promised', held_at = now(),
         hold_until = now() + (id % 50) * interval '1 day'
       WHERE id = ANY($1::int[]) AND status = 'pending' AND id % 7 = 0`,
      [mine.map((invoice) => invoice.id)]
    )
    await analyze(pool)

    const baselineServer = await startBaselineServer(resources)
    defer(() => baselineServer.stop())
    const targets = { app: web.baseUrl, baseline: baselineServer.baseUrl }

    // Both answer the same figures with the same keys
    const findings: string[] = []
    const [appBody, baselineBody] = await Promise.all(
      Object.values(targets).map(async (url) => {
        const response = await fetch(`${url}/api/v1/stats`, {
          headers: { authorization, ...BENCH_HEADERS },
        })
        return response.text()
      })
    )
    if (appBody !== baselineBody) {
      findings.push(`The baseline's answer differs from the app's: ${appBody} vs ${baselineBody}`)
    }

    const target = (url: string, pid: number): LoadTarget => ({
      url,
      pid,
      headers: { authorization },
      nextPath: () => '/api/v1/stats',
      check: (status) => status === 200,
    })
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
    await web.stop()

    log(`profiling a second web under the same load for ${PROFILE_LOAD.seconds} s`)
    const profile = await profiledPass(
      (nodeFlags) => startWeb(resources, {}, { nodeFlags }),
      (server) => target(server.baseUrl, server.process.pid),
      PROFILE_LOAD
    )

    findings.push(...loadProblems('app', app), ...loadProblems('baseline', base))
    const share = (place: string) => placeShare(profile, place)
    findings.push(
      `The app spends ${app.cpuMsPerRequest?.toFixed(2)} ms of CPU per request, the baseline ${base.cpuMsPerRequest?.toFixed(2)} ms, for the same 4 statements: the access-token check of @adonisjs/auth (select, update last_used_at, select user), then one aggregate over the user's invoices (app/services/invoices/receivables_sql.ts) that PostgreSQL computes; ${(appBody ?? '').length} bytes of JSON.`,
      `The latency is PostgreSQL's aggregate over ${INVOICES.toLocaleString('en-US')} rows on both sides (p50 ${Math.round(app.p50)} ms against ${Math.round(base.p50)} ms): each process waits for it, the framework's share per request is small beside it.`
    )
    findings.push(describeLoadProfile(profile, PROFILE_LOAD))
    findings.push(
      `Where the web's own time goes: our code (app, start, config) ${share('ours (app, start, config)')}%, knex ${share('knex')}%, Lucid ${share('@adonisjs/lucid')}%, @adonisjs/auth ${share('@adonisjs/auth')}%, the pg driver ${share('pg')}%, the IoC container ${share('@adonisjs/fold')}%.`
    )
    return {
      measures: loadMeasures(app, base),
      method: [
        `One user with ${INVOICES} invoices over 40 clients, issued over the last 400 days: a third paid (manual, early or late), 1 in 17 of the rest cancelled, 1 in 10 in USD, 1 in 7 pending ones with a running payment_promised hold; 50 other users with 10,000 more.`,
        `autocannon, ${HTTP_LOAD.connections} connections, ${WARMUP_SECONDS} s warmup per side, then ${HTTP_LOAD.rounds} alternating rounds (baseline first) for ${HTTP_LOAD.seconds} s per side in all; server CPU = user + system time of the server process over the measured rounds, per request.`,
        "Baseline: bench/support/baseline_server.ts, node:http + pg (pool 10): the access-token check as @adonisjs/auth does it, then the app's own statement and row mapping (receivablesStatement / receivablesFromRows, app/services/invoices/receivables_sql.ts). Before the load, one answer from each side is compared byte for byte.",
      ],
      findings,
      details: { app, baseline: base, profile },
    }
  },
}

export default stats
