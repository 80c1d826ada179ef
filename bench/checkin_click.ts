/*
| 1. Check-in click: GET /api/v1/checkin/:token/paid, one fresh token per
| request, against the app's web process and against a bare node:http + pg
| server counting the request against the same per-IP limit in Redis and
| doing the same SQL in one transaction; for context, that server without
| the rate limit.
*/
import {
  analyze,
  checkinTokens,
  type Token,
  seedCheckins,
  seedInvoices,
  seedRelances,
  seedUsers,
} from './support/seed.js'
import { startBaselineServer, startWeb } from './support/processes.js'
import {
  compareSides,
  loadProblems,
  measureSide,
  HTTP_LOAD,
  PROFILE_LOAD,
  describeLoadProfile,
  profiledPass,
  type LoadTarget,
} from './support/load.js'
import { placeShare } from './support/cpu_profile.js'
import { WITHOUT_RATE_LIMIT } from './support/bare_rate_limit.js'
import {
  contextMeasures,
  loadMeasures,
  round,
  type Benchmark,
  type BenchContext,
} from './support/report.js'

const WARMUP_SECONDS = 3
const SOURCE_WARMUP_SECONDS = 3
const SOURCE_SECONDS = 4
/** Fresh tokens per side: more than either side can click in warmup + measure. */
const TOKENS_PER_SIDE = 25_000
/** The app, the baseline, the baseline without the rate limit (context). */
const SIDES = 3

async function measure(context: BenchContext) {
  const { resources, defer, log } = context
  const { pool } = resources

  log(`seeding ${TOKENS_PER_SIDE * SIDES} sent check-ins, their invoices and relances`)
  const userIds = await seedUsers(pool, 'click', 500)
  const invoices = await seedInvoices(pool, {
    tag: 'CLICK',
    userIds,
    count: TOKENS_PER_SIDE * SIDES,
    clientsPerUser: 3,
  })
  const invoiceIds = invoices.map((invoice) => invoice.id)
  await seedRelances(pool, invoiceIds)
  const tokens = checkinTokens(invoiceIds.length)
  const now = Date.now()
  await seedCheckins(pool, invoiceIds, {
    status: 'sent',
    scheduledAt: new Date(now - 3_600_000),
    sentAt: new Date(now - 60_000),
    hashes: tokens.map((token) => token.hashed),
  })
  await analyze(pool)

  const web = await startWeb(resources)
  defer(() => web.stop())
  const baseline = await startBaselineServer(resources)
  defer(() => baseline.stop())
  const unlimited = await startBaselineServer(resources, WITHOUT_RATE_LIMIT)
  defer(() => unlimited.stop())

  const webUrl = resources.env.WEB_URL.replace(/\/+$/, '')
  /** One side's fresh tokens, drawn in order by every round against that side. */
  const supply = (sideTokens: Token[]) => {
    let next = 0
    return () => sideTokens[next++] ?? null
  }
  const target = (url: string, pid: number, nextToken: () => Token | null): LoadTarget => ({
    url,
    pid,
    nextPath: () => {
      const token = nextToken()
      return token ? `/api/v1/checkin/${token.plain}/paid` : null
    },
    check: (status, headers) => status === 302 && headers.location === `${webUrl}/checkin/paid`,
  })
  const appTokens = supply(tokens.slice(0, TOKENS_PER_SIDE))
  const sideTokens = (side: number) =>
    supply(tokens.slice(side * TOKENS_PER_SIDE, (side + 1) * TOKENS_PER_SIDE))
  const sides = await compareSides(
    {
      app: target(web.baseUrl, web.process.pid, appTokens),
      baseline: target(baseline.baseUrl, baseline.process.pid, sideTokens(1)),
      context: target(unlimited.baseUrl, unlimited.process.pid, sideTokens(2)),
    },
    {
      connections: HTTP_LOAD.connections,
      warmupSeconds: WARMUP_SECONDS,
      seconds: HTTP_LOAD.seconds,
      rounds: HTTP_LOAD.rounds,
    },
    log
  )
  const { app, baseline: base } = sides
  const unlimitedSide = sides.context!
  await web.stop()
  await baseline.stop()
  await unlimited.stop()

  // The rest of the app's tokens: the profiled pass, then the sources
  log(`profiling the web under the same load for ${PROFILE_LOAD.seconds} s`)
  const profile = await profiledPass(
    (nodeFlags) => startWeb(resources, {}, { nodeFlags }),
    (server) => target(server.baseUrl, server.process.pid, appTokens),
    PROFILE_LOAD
  )

  log(`the same load on the sources through the TypeScript loader, for the record`)
  const sourceWeb = await startWeb(resources, {}, { code: 'source' })
  defer(() => sourceWeb.stop())
  const source = await measureSide(target(sourceWeb.baseUrl, sourceWeb.process.pid, appTokens), {
    connections: HTTP_LOAD.connections,
    warmupSeconds: SOURCE_WARMUP_SECONDS,
    seconds: SOURCE_SECONDS,
  })
  await sourceWeb.stop()
  // Every 302 to /checkin/paid must be a paid invoice: nothing was skipped
  const {
    rows: [paid],
  } = await pool.query(
    "SELECT count(*)::int AS n FROM invoices WHERE status = 'paid' AND paid_via = 'checkin'"
  )
  return { app, base, unlimited: unlimitedSide, profile, source, paidInvoices: paid.n as number }
}

const checkinClick: Benchmark = {
  name: 'checkin_click',
  title: 'Check-in click: GET /api/v1/checkin/:token/paid on fresh tokens',
  async run(context) {
    const { app, base, unlimited, profile, source, paidInvoices } = await measure(context)
    const findings = [
      ...loadProblems('app', app),
      ...loadProblems('baseline', base),
      ...loadProblems('baseline without the rate limit', unlimited),
      ...loadProblems('app on the sources', source),
    ]
    findings.push(
      `The app spends ${app.cpuMsPerRequest?.toFixed(2)} ms of CPU per click, the baseline ${base.cpuMsPerRequest?.toFixed(2)} ms. Both issue 9 statements: BEGIN, lock the task, lock the invoice (the app's lock also reads whether the user has a webhook endpoint enabled; the bench's users have none, so the app does not ask who subscribed), answer the task, pay the invoice, the rubis and the numbered payment event in one statement, the check-in and relances cancelled in one statement, the thank-you promise, COMMIT; both count the click against the per-IP limit in Redis (one round trip) and make the same 3 job removals.`,
      'Before: 13 statements (the invoice read and locked twice, by answerCheckin then markInvoicePaid; the payment number counted by its own SELECT; the check-in and the relances cancelled by two UPDATEs) and two Redis round trips in the rate limiter (the limiter middleware reads the counter, then consumes): 1.86 ms of CPU per click against 0.50 for the baseline, 51% of its throughput. Now markInvoicePaid takes the invoice its caller locked, the event numbers itself in its INSERT, one statement cancels the follow-ups, and the limiter consumes in one round trip (same key, headers and 429).',
      "Issue 25: the click hydrated two models (the task FOR UPDATE, the invoice FOR NO KEY UPDATE) and saved them through Lucid (dirty tracking, luxon DateTimes, the proxy of every attribute: Lucid 7.9% of the profile, its attribute setter among the costliest functions), and asked twice who subscribed to webhooks (one statement per event: 12 statements). Now answerCheckin (app/services/checkins/checkin_answers.ts) reads the two rows as plain values and applies the models' own rules to them (CheckinTask.isAnswerable, CheckinTask.linksExpired, CheckinTask.recordAnswer and Invoice.isPending, static on the models, which the instances use too); markInvoiceRowPaid writes the same payment changes as markInvoicePaid (one paymentChanges(), columns named by the model) with one UPDATE; recordTypedWebhookEvents writes events of several types with one look-up. The still-pending answer keeps its model path (hold rules), off the hot path. Same session, load average 4-8 on 2 cores: server CPU per click 3.20 ms against the baseline's 0.82 (390%) before, 1.96 against 0.62 (316%) after; throughput 36% → 43% of the baseline, both runs under heavy load from other processes (the throughput ratio is the load-sensitive figure, CPU per click the steady one)."
    )
    findings.push(describeLoadProfile(profile, PROFILE_LOAD))
    const share = (place: string) => placeShare(profile, place)
    const writes = profile.functions
      .filter((fn) => /^(writev|writeUtf8String|writeBuffer)\b/.test(fn.name))
      .reduce((sum, fn) => sum + fn.share, 0)
    findings.push(
      `Where the rest goes: our code (app, start, config) is ${share('ours (app, start, config)')}% of the profiled time; knex ${share('knex')}% and Lucid ${share('@adonisjs/lucid')}% (only the transaction itself, BEGIN and COMMIT, with its after-commit hooks: the statements in between go straight to its pg connection), then the pg and Redis drivers, the IoC container and the HTTP layer, each under 5%. ` +
        `The socket writes (writev, writeUtf8String, writeBuffer: ${Math.round(writes * 10) / 10}%) are the baseline's system calls, no more: strace counted per click app 8.1 writev, 7.4 write, 12.2 read, baseline 7.0, 6.1, 10.6 (the extra writev is the webhook look-up, the extra write the limiter's one Redis call). Their samples are the kernel's loopback delivery to PostgreSQL and Redis plus, the profile being wall-clock, time waiting for a core: in the profiled pass the main thread was sampled busy ${profile.busyMs} ms of ${profile.wallMs} ms while the process got ${profile.cpuMs ?? '?'} ms of CPU (/proc, all its threads): the web waits for a core inside those writes, the 2 cores being shared with PostgreSQL, Redis and the load generator. ` +
        "The gap to the baseline is the framework per request on top of the same SQL and the same Redis round trips: the HTTP layer (its context, request and response objects, the router, 6 server and 4 router middleware whose own code is a few microseconds each, the limiter's ~0.035 ms plus its round trip, some 0.01 ms less since its store stopped building a Redis MULTI it never sent: see the client page's findings), the container (each class middleware and the controller made per request), Lucid's transaction (knex builds a transaction object per click, copying its API onto it: redefineProperties alone is 1.6% of the profile) and the garbage of all of it; no model, no knex builder per statement.",
      "The middleware a click runs, looked at one by one (issue 25): the request log, the metrics timer, the security headers and CORS are needed on this public link; the body parser, the JSON bounds and the multipart reader return at once on a GET (method not in allowedMethods, no raw or multipart body), and initialize_auth only creates an Authenticator, no statement: skipping them per route would save a few promise hops each (the profile puts the three body readers' own code at 1-2 µs per click together), under the noise of a run, and would need a second middleware stack to keep in step, so they stay. The rubis joined the payment event's INSERT (a data-modifying WITH, in recordPayment: both ways of paying) and the baseline does the same, one round trip fewer on both sides: 11 → 10 statements per click. On 2026-12-05 the machine ran at load average 11-13 on 2 cores during the runs before and after (server CPU per click 2.53 then 3.47 ms, the baseline 0.86 then 1.00): far too noisy to resolve the ~0.1 ms of one statement.",
      "Issue 25, where the framework's 0.9 ms went: a V8 profile of the web over 7,500 clicks put knex (outside the pg driver) at 0.22 ms per click, Lucid's query client at 0.05, and an Edge renderer at 0.08: @adonisjs/auth's initialize_auth shares ctx.auth with the view, creating a renderer per request, and Edge's components plugin lists the views folder on disk for each (getdents per click). A scratch loop of 10 statements in one Lucid transaction spent 0.90-1.36 ms of CPU through trx.rawQuery against 0.60-0.90 on the transaction's own pg connection. Now the click's eight statements between BEGIN and COMMIT go through transactionQuery (app/support/transaction_statements.ts: the connection knex holds for the Lucid transaction, pg placeholders; BEGIN, COMMIT, ROLLBACK and the after-commit hooks stay Lucid's, knex's query event still fires), every request's ctx.view is a clone of one renderer made at boot (providers/view_provider.ts), so the components folder is no longer listed per request, and CheckinTask.linksExpired compares milliseconds (luxon was 0.012 ms per click). Left alone, measured: the body readers' middleware (1-2 µs per click together: not worth a second stack), the after-commit removals (BullMQ has no bulk remove; ioredis auto-pipelining is not supported with BullMQ by its maintainers, and the 3 removals already go out in one tick, as the baseline's). Same session, load average 5.6-8.8 on 2 cores, two alternating runs each: before, server CPU per click 1.84 and 1.87 ms against the baseline's 0.67 and 0.54, throughput 52% and 44% of the baseline; after, 1.28 and 1.46 against 0.57 and 0.69, throughput 58% and 60%. Split by /proc (user / system per click, scratch runs): the app 1.23-1.32 / 0.31 ms before, 0.87-1.13 / 0.29-0.33 after, the baseline 0.36-0.46 / 0.15-0.20: the syscalls are the baseline's plus one statement and the limiter's round trip (the strace counts above); the rest is user time of the framework per request.",
      "Issue 25, the limiter, tried and not kept: rate-limiter-flexible's Redis limiter builds an ioredis MULTI on every consume that its Lua path never sends; a store of our own sending the same script without it measured 12-13 µs of CPU per consume against the library's 22-23 µs (20,000 consumes, 10 in flight), but in whole runs (three of each, load average 6 to 9.5 on 2 cores) the click's server CPU moved from 230-237% to 214-220% of the baseline's and its throughput from 54-55% to 49-62%: the 0.01 ms is below what such runs resolve, not worth owning a second limiter store.",
      "Issue 25, 2026-12-06, where the machine's CPU goes: the figures compared are whole-machine ones (the HTTP rounds run the 2 cores flat out: server, PostgreSQL, Redis and the load generator), so CPU per click was summed over every process (/proc) in scratch rounds: app 3.2-4.0 ms per click, baseline 2.4-3.1, of which the web servers 1.0-1.3 against 0.55-0.7, and PostgreSQL most of the rest. pg_stat_statements with planning tracked (one run, both sides) found the same execution time per click on both sides (0.89 against 0.87 ms) but not the same planning: the app's look-up of webhook subscribers, which built every invoice's JSON (a check-in and a relances subquery, a dozen nested builders) to find most often that nobody subscribed, cost 0.56 ms of planning per click, more than all the baseline's statements together (0.62). Now who subscribed is asked first (a join of the invoice to its user's endpoints: 0.10-0.16 ms to plan) and the invoices' JSON only when someone did (app/services/webhooks/webhook_subscribers_sql.ts), and the click does not ask at all when its user has no endpoint enabled, which its invoice's lock reads in the same statement (an EXISTS on webhook_endpoints by user; a test counts the look-ups: none without an endpoint or with a disabled one, one with an enabled one). Runs of this session, throughput against the baseline: 55% to 63% in five runs before (the baseline without the rate limit); 78% in one after the look-up was split (pg_stat_statements still loaded on both sides); with the baseline counting requests in Redis (next finding), 73%, 72% and 71% (context 67%), then 75% once the click skips the look-up (context 74%).",
      "Issue 25, 2026-12-06, the baseline: it now counts each click against the per-IP limit in Redis as the app's throttle does (bench/support/bare_rate_limit.ts: the limiter's own Lua script, one round trip, the same X-RateLimit headers, a 429 past the limit). That limit is part of the work a check-in link does, shared by every web process, like the job removals the baseline already mirrored; until now the baseline did one Redis round trip fewer per click than the app. The baseline without it stays in the table as context rows, measured in the same alternating rounds."
    )
    return {
      measures: [
        ...loadMeasures(app, base),
        ...contextMeasures(app, unlimited, 'the baseline without the rate limit'),
        {
          measure: 'throughput, sources through the TypeScript loader',
          unit: 'req/s',
          value: round(source.throughput, 1),
          baseline: round(base.throughput, 1),
          verdict: 'info',
          note: `${round(source.cpuMsPerRequest, 2)} ms CPU per request`,
        },
      ],
      method: [
        `${TOKENS_PER_SIDE * 2} check-ins in state "sent" (500 users, 3 scheduled relances per invoice), one fresh token per request: every request pays an invoice.`,
        `autocannon, ${HTTP_LOAD.connections} connections, ${WARMUP_SECONDS} s warmup per side, then ${HTTP_LOAD.rounds} alternating rounds (baseline first) for ${HTTP_LOAD.seconds} s per side in all; latency percentiles over every response; server CPU = user + system time of the server process (/proc/<pid>/stat) over the measured rounds, divided by the requests.`,
        'App: the compiled build, `build/bin/server.js` as `npm start` runs it, in production mode (NODE_ENV=production, LOG_LEVEL=warn), rate limiter on (limit raised), requests from X-Forwarded-For 10.77.0.1.',
        "Baseline: bench/support/baseline_server.ts, node:http + pg (pool 10): the request counted against the same per-IP limit in Redis as the app's throttle counts it (bench/support/bare_rate_limit.ts: one round trip running the app's limiter script, the same headers, a 429 past the limit), the app's SQL statement for statement in one transaction (the app's 9: its look-up of webhook subscribers is skipped, the bench's users having no endpoint, which its invoice lock reads), then the same BullMQ removal of the 3 cancelled relance jobs.",
        'Context (not a goal): a second baseline process without the rate limit (BASELINE_RATE_LIMIT=off), a third side in the same alternating rounds, on check-ins of its own.',
        `Separately, not in the compared figures: a pass against a second web with the inspector open, its CPU profiled over ${PROFILE_LOAD.seconds} s of load after ${PROFILE_LOAD.warmupSeconds} s warmup (the profile line of the findings), then a ${SOURCE_SECONDS} s round (after ${SOURCE_WARMUP_SECONDS} s warmup) against \`bin/server.ts\` run from the sources through the TypeScript loader, for the record.`,
        'Ratio = app / baseline.',
      ],
      findings,
      details: {
        app,
        baseline: base,
        baselineWithoutRateLimit: unlimited,
        sources: source,
        profile,
        paidInvoicesInDatabase: paidInvoices,
      },
    }
  },
}

export default checkinClick
