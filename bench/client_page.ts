/*
| 9. The client's page: GET /client/:token (the page behind every relance:
| the client's pending invoices with this freelancer and three forms each),
| against the app's web and a bare node:http + pg server running the same
| statements and writing the page with a template string.
*/
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_HEADERS } from './support/environment.js'
import { analyze, checkinTokens, seedInvoices, seedUsers } from './support/seed.js'
import { BenchChild, startWeb } from './support/processes.js'
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

const USERS = 300
const CLIENTS_PER_USER = 3
const INVOICES_PER_CLIENT = 3
const WARMUP_SECONDS = 2

const clientPage: Benchmark = {
  name: 'client_page',
  title: "Client's page: GET /client/:token, 3 pending invoices",
  async run({ resources, defer, log }) {
    const { pool } = resources
    const pages = USERS * CLIENTS_PER_USER
    log(
      `seeding ${USERS} users, ${pages} clients with a relance email each, ${pages * INVOICES_PER_CLIENT} invoices`
    )
    const userIds = await seedUsers(pool, 'page', USERS)
    await pool.query(
      `UPDATE users SET payment_instructions = 'Virement sur le compte habituel, référence = numéro de facture.' WHERE id = ANY($1::int[])`,
      [userIds]
    )
    await seedInvoices(pool, {
      tag: 'PAGE',
      userIds,
      count: pages * INVOICES_PER_CLIENT,
      clientsPerUser: CLIENTS_PER_USER,
    })
    const { rows: clients } = await pool.query(
      'SELECT id, user_id FROM clients WHERE user_id = ANY($1::int[]) ORDER BY id',
      [userIds]
    )
    const tokens = checkinTokens(clients.length)
    await pool.query(
      `INSERT INTO relance_emails (user_id, client_id, link_token_hash, reply_token_hash, sent_at, created_at)
       SELECT c.user_id, c.id, t.hash, md5(random()::text) || md5(random()::text), now(), now()
         FROM unnest($1::int[], $2::text[]) AS t(client_id, hash) JOIN clients c ON c.id = t.client_id`,
      [clients.map((client) => client.id), tokens.map((token) => token.hashed)]
    )
    await analyze(pool)

    const web = await startWeb(resources)
    defer(() => web.stop())
    const baseline = new BenchChild('baseline_client_page.ts', [], resources.env)
    defer(() => baseline.stop())
    const { port } = await baseline.ready<{ port: number }>()
    const baselineUrl = `http://127.0.0.1:${port}`

    const findings: string[] = []
    const sample = `/client/${tokens[0].plain}`
    const [appPage, basePage] = await Promise.all(
      [web.baseUrl, baselineUrl].map(async (url) => {
        const response = await fetch(`${url}${sample}`, { headers: BENCH_HEADERS })
        if (response.status !== 200) throw new Error(`${url}${sample} answered ${response.status}`)
        return response.text()
      })
    )
    const sections = (html: string) => html.split('<section class="invoice"').length - 1
    if (sections(appPage) !== sections(basePage)) {
      findings.push(
        `The baseline shows ${sections(basePage)} invoices, the app ${sections(appPage)}.`
      )
    }

    const target = (url: string, pid: number): LoadTarget => {
      let next = 0
      return {
        url,
        pid,
        nextPath: () => `/client/${tokens[next++ % tokens.length].plain}`,
        check: (status) => status === 200,
      }
    }
    const { app, baseline: base } = await compareSides(
      { app: target(web.baseUrl, web.process.pid), baseline: target(baselineUrl, baseline.pid) },
      {
        connections: HTTP_LOAD.connections,
        warmupSeconds: WARMUP_SECONDS,
        seconds: HTTP_LOAD.seconds,
        rounds: HTTP_LOAD.rounds,
      },
      log
    )
    await baseline.stop()
    await web.stop()

    log(`profiling a second web under the same load for ${PROFILE_LOAD.seconds} s`)
    const profile = await profiledPass(
      // Stopped once the requests still queued in it are answered: a web
      // sent SIGTERM with client-page requests waiting for a database
      // connection was seen to hang past the 20 s its stop allows
      async (nodeFlags) => {
        const server = await startWeb(resources, {}, { nodeFlags })
        return {
          ...server,
          stop: async () => {
            await sleep(1_000)
            await server.stop()
          },
        }
      },
      (server) => target(server.baseUrl, server.process.pid),
      PROFILE_LOAD
    )

    findings.push(...loadProblems('app', app), ...loadProblems('baseline', base))
    const share = (place: string) => placeShare(profile, place)
    findings.push(
      `The app spends ${app.cpuMsPerRequest?.toFixed(2)} ms of CPU per page, the baseline ${base.cpuMsPerRequest?.toFixed(2)} ms, for the same 2 statements (the relance email by its link's hash with its user and client, the client's pending invoices); pages of ${appPage.length} characters (app, Edge) and ${basePage.length} (baseline, a template string with the same style sheet, texts and forms).`
    )
    findings.push(
      'Fixed: the three forms of each invoice were an Edge `@include` inside `@each`, and Edge never caches a partial included with local variables in scope: the forms were lexed, parsed (acorn) and compiled again for every invoice of every page. Before (a run on this machine): 7.09 ms of CPU per page against 0.92 for the baseline, 10% of its throughput, edge-lexer, edge-parser and acorn 41% of the profile. The forms are now a component, compiled once (a test renders the page twice with the cache on and counts no compilation the second time).'
    )
    findings.push(
      "Fixed: the page read its email, user, client and invoices as Lucid models (a luxon DateTime per timestamp column) and wrote its dates with luxon in the user's zone (partsOffset: Intl formatToParts per call). It now reads two plain statements (app/services/client_page/client_page_sql.ts: the email joined to its user and client, the pending invoices) and applies the models' rules as static functions (RelanceEmail.linkExpired, Invoice.activeHold, Invoice.daysLateOn, Invoice.documentOf, User.transferHolderOf), its dates written by one cached Intl.DateTimeFormat per locale and zone. Before (a run on this machine, load 7.8): 1.93 ms of CPU per page against 0.66 for the baseline, then 4 statements and luxon on both sides; after (load 6.3): 1.27 ms against 0.35, the baseline, which runs the same statements and formatting, gaining as much."
    )
    findings.push(describeLoadProfile(profile, PROFILE_LOAD))
    findings.push(
      `Where the web's time goes: our code (app, start, config) ${share('ours (app, start, config)')}%, Edge ${share('edge.js')}%, luxon ${share('luxon')}%, knex ${share('knex')}%, Lucid ${share('@adonisjs/lucid')}%, the pg driver ${share('pg')}%, the IoC container ${share('@adonisjs/fold')}%, the rate limiter ${share('@adonisjs/limiter')}%. ` +
        "What remains beyond the baseline is the framework around the same 2 statements: the HTTP pipeline (router, middleware, the IoC container), Edge rendering the page and its forms component, knex around the two raw statements, and the rate limiter's Redis round trip; the socket writes (writev, writeUtf8String) are system calls both sides make, plus, the profile being wall-clock, time waiting for a core."
    )
    return {
      measures: loadMeasures(app, base),
      method: [
        `${USERS} users (payment instructions, no IBAN: no QR code to draw), ${CLIENTS_PER_USER} clients each, ${INVOICES_PER_CLIENT} pending invoices per client, one relance email per client with its page link; requests cycle over the ${pages} links.`,
        `autocannon, ${HTTP_LOAD.connections} connections, ${WARMUP_SECONDS} s warmup per side, then ${HTTP_LOAD.rounds} alternating rounds (baseline first) for ${HTTP_LOAD.seconds} s per side in all; server CPU = user + system time of the server process over the measured rounds, per request.`,
        "App: the compiled build in production mode, the client page's rate limiter on (requests from X-Forwarded-For 10.77.0.1), Edge rendering resources/views/pages/client_page.edge.",
        "Baseline: bench/support/baseline_client_page.ts, node:http + pg (pool 10): the app's 2 statements (app/services/client_page/client_page_sql.ts), the app's texts (client_page_texts.ts) and amount and date formatting, the same headers, and the page written by a template string with the same style sheet and forms; no rate limiter.",
      ],
      findings,
      details: {
        app,
        baseline: base,
        profile,
        pageCharacters: { app: appPage.length, baseline: basePage.length },
      },
    }
  },
}

export default clientPage
