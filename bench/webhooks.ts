/*
| 10. Webhook deliveries per second: the built worker draining scheduled
| deliveries to a local receiver, against a framework-free worker of the same
| design (bench/support/raw_webhooks.ts: BullMQ jobs, the lease, the attempt
| log, the secret decrypted) and, for context, a bare signed fetch loop doing
| the same POSTs (bench/support/bare_webhooks.ts).
*/
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { waitFor } from '#tests/helpers/wait_for'
import { BENCH_HEADERS, type BenchResources } from './support/environment.js'
import { registerUser } from './support/api.js'
import { BenchChild, cpuSeconds, startWeb, startWorker } from './support/processes.js'
import { describeProfile, profileFolder } from './support/cpu_profile.js'
import { round, verdict, type Benchmark } from './support/report.js'

const DELIVERIES = 1_500
const PROFILED_DELIVERIES = 300
const CONCURRENCY = 10
/** Private targets (the local receiver) are refused in production whatever the setting. */
const PRIVATE_TARGETS = { NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE: 'true' }

/** `count` scheduled deliveries to the endpoint, due a minute ago, their jobs not in Redis. */
async function seedDeliveries(resources: BenchResources, endpointId: number, count: number) {
  await resources.pool.query(
    `INSERT INTO webhook_deliveries (endpoint_id, event_type, message_id, payload, status, scheduled_at, created_at, updated_at)
     SELECT $1, 'invoice.paid', 'msg_' || md5(random()::text || g), json_build_object(
              'type', 'invoice.paid', 'timestamp', now(),
              'data', json_build_object('invoice', json_build_object('id', g, 'number', 'WH-' || g,
                'status', 'paid', 'amountCents', 120000, 'currency', 'EUR'))),
            'scheduled', now() - interval '1 minute', now() - interval '1 hour', now() - interval '1 hour'
       FROM generate_series(1, $2::int) AS g`,
    [endpointId, count]
  )
}

/** Deliveries per second over the span of delivered_at (first to last). */
async function deliveredRate(resources: BenchResources, count: number) {
  await waitFor(
    `${count} webhook deliveries delivered`,
    async () => {
      const { rows } = await resources.pool.query(
        "SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'"
      )
      return rows[0].n >= count
    },
    { timeoutMs: 120_000, intervalMs: 50 }
  )
  const {
    rows: [span],
  } = await resources.pool.query(
    `SELECT count(*)::int AS n, extract(epoch FROM max(delivered_at) - min(delivered_at)) * 1000 AS ms
       FROM webhook_deliveries WHERE status = 'delivered'`
  )
  await resources.pool.query('DELETE FROM webhook_deliveries')
  return ((span.n - 1) * 1000) / Number(span.ms)
}

const webhooks: Benchmark = {
  name: 'webhooks',
  title: 'Webhook deliveries per second to a local receiver',
  async run({ resources, defer, log }) {
    let received = 0
    const receiver = createServer((request, response) => {
      request.resume()
      request.on('end', () => {
        received++
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    defer(() => new Promise((resolve) => receiver.close(resolve)))
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`

    const web = await startWeb(resources, PRIVATE_TARGETS)
    defer(() => web.stop())
    const { authorization } = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Hooks',
      'hooks@bench.test'
    )
    const created = await fetch(`${web.baseUrl}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', ...BENCH_HEADERS },
      body: JSON.stringify({ url, events: ['invoice.paid'] }),
    })
    if (created.status !== 201)
      throw new Error(`POST /webhooks answered ${created.status}: ${await created.text()}`)
    const { data: endpoint } = (await created.json()) as { data: { id: number; secret: string } }
    await web.stop()

    log(`baseline: a bare signed fetch loop, ${DELIVERIES} deliveries, ${CONCURRENCY} at a time`)
    await seedDeliveries(resources, endpoint.id, DELIVERIES)
    const bare = new BenchChild(
      'bare_webhooks.ts',
      [endpoint.secret, String(CONCURRENCY)],
      resources.env
    )
    defer(() => bare.stop())
    const bareResult = await bare.result<{ deliveries: number; cpuMs: number }>()
    const bareRate = await deliveredRate(resources, DELIVERIES)

    log(`same design: a bare BullMQ worker, ${DELIVERIES} deliveries, concurrency ${CONCURRENCY}`)
    await seedDeliveries(resources, endpoint.id, DELIVERIES)
    const raw = new BenchChild('raw_webhooks.ts', [String(CONCURRENCY)], resources.env)
    defer(() => raw.stop())
    await raw.ready()
    const rawCpuReady = (await cpuSeconds(raw.pid))!
    const rawRate = await deliveredRate(resources, DELIVERIES)
    const rawCpu = (await cpuSeconds(raw.pid))! - rawCpuReady
    await raw.stop()

    log(
      `app: the built worker (concurrency ${CONCURRENCY}), its start-up pass enqueueing ${DELIVERIES} deliveries`
    )
    await seedDeliveries(resources, endpoint.id, DELIVERIES)
    const worker = await startWorker(resources, { concurrency: CONCURRENCY, env: PRIVATE_TARGETS })
    const workerCpuReady = (await cpuSeconds(worker.pid))!
    defer(() => worker.stop())
    const appRate = await deliveredRate(resources, DELIVERIES)
    // From the moment it said it consumes: its boot left out
    const workerCpu = (await cpuSeconds(worker.pid))! - workerCpuReady
    await worker.stop()

    log(`profile: the worker delivering ${PROFILED_DELIVERIES} more`)
    await seedDeliveries(resources, endpoint.id, PROFILED_DELIVERIES)
    const profileDir = await profileFolder()
    const profiled = await startWorker(resources, {
      concurrency: CONCURRENCY,
      env: PRIVATE_TARGETS,
      nodeFlags: profileDir.nodeFlags,
    })
    defer(() => profiled.stop())
    await deliveredRate(resources, PROFILED_DELIVERIES)
    await profiled.stop()
    const profile = await profileDir.summary()

    const expected = 3 * DELIVERIES + PROFILED_DELIVERIES
    const findings = [
      `The receiver got ${received} POSTs for ${expected} deliveries${received === expected ? '' : ' (a redelivery or a loss)'}.`,
      "Per delivery the app's worker makes five round trips to PostgreSQL: the claim (BEGIN; the delivery locked FOR UPDATE with its endpoint read as one plain row; the lease written; COMMIT) and, after the receiver's 2xx, one statement marking it delivered, appending the attempt to its log in SQL and clearing the endpoint's failing state if any. Before: ten (the endpoint read by a second query, models hydrated, and a second transaction reading the row again, locking the endpoint FOR UPDATE, which serialized every delivery of one endpoint, and rewriting the whole log). The secret is decrypted once per stored value, and sockets are kept alive per rule set (each new socket's address checked by its lookup as before; a kept socket stays on its checked address). Measured on this machine (2 cores, load 6 to 9) before and after that change: 89.5 and 127 deliveries/s against the bare loop's 673 and 744, 4.8 and 4.6 ms CPU per delivery (boot included), became 260 against 928 and 2.5 ms; a profiled pass of 500 deliveries went from 5.1 s to 2.2 s busy. The same-design baseline issues the same five statements; the bare loop one UPDATE, no queue, no lease, no log, no decryption, which is why it is context, not the goal.",
      profile
        ? describeProfile(
            `the worker delivering ${PROFILED_DELIVERIES} (separate pass, \`--cpu-prof\`, boot included)`,
            profile
          )
        : 'No CPU profile was written by the profiled worker.',
    ]
    return {
      measures: [
        {
          measure: `deliveries, concurrency ${CONCURRENCY}, vs the same design raw`,
          unit: 'deliveries/s',
          value: round(appRate, 1),
          baseline: round(rawRate, 1),
          goal: '≥ 50% of baseline',
          verdict: verdict(appRate >= 0.5 * rawRate),
        },
        {
          measure: 'CPU per delivery, vs the same design raw',
          unit: 'ms',
          value: round((workerCpu * 1000) / DELIVERIES, 2),
          baseline: round((rawCpu * 1000) / DELIVERIES, 2),
          verdict: 'info',
          note: 'both from the moment they consume',
        },
        {
          measure: 'deliveries, vs a bare signed fetch loop (context)',
          unit: 'deliveries/s',
          value: round(appRate, 1),
          baseline: round(bareRate, 1),
          verdict: 'info',
        },
        {
          measure: 'CPU per delivery, vs the bare loop (context)',
          unit: 'ms',
          value: round((workerCpu * 1000) / DELIVERIES, 2),
          baseline: round(bareResult.cpuMs / DELIVERIES, 2),
          verdict: 'info',
        },
      ],
      method: [
        `One endpoint created through POST /api/v1/webhooks (its secret encrypted by the app) pointing at a node:http receiver in the bench process answering 204; ${DELIVERIES} scheduled invoice.paid deliveries seeded per side, due a minute ago.`,
        `App: the built worker (\`build/ace.js queue:work --concurrency=${CONCURRENCY}\`) with NODE_ENV=development and WEBHOOK_ALLOW_PRIVATE=true, the only way the app posts to a loopback address (refused in production whatever the setting); its start-up reconciler pass enqueues the deliveries' jobs.`,
        `Same-design baseline (the goal's): bench/support/raw_webhooks.ts, the deliveries' jobs added to a bare BullMQ queue and consumed by a bare BullMQ Worker at concurrency ${CONCURRENCY}, per job the app's statements (claim transaction with the lease, the 2xx recorded with the attempt appended to the log), the secret decrypted with the app's cipher once per stored value, the URL checked, the signature, a node:http POST with kept-alive sockets.`,
        `Context baseline: bench/support/bare_webhooks.ts, ${CONCURRENCY} lanes of fetch POSTs signed with standardwebhooks, each followed by one UPDATE marking the row delivered.`,
        "Rate = (deliveries − 1) / the span of delivered_at from the first to the last, on each side (the worker's boot left out). CPU: the bare loop's own while it delivers; the app's worker's and the raw worker's from the moment they consume (boot left out).",
      ],
      findings,
      details: { appRate, rawRate, bareRate, received, profile },
    }
  },
}

export default webhooks
