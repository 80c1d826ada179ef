/*
| The same-design webhook baseline: what `node ace queue:work` does for a
| delivery (app/services/webhooks/webhook_delivery.ts), without the
| framework. The scheduled deliveries' jobs added to a bare BullMQ queue
| `webhooks` (the app's names, ids and options), consumed by a bare BullMQ
| Worker at the same concurrency. Per job: the claim in one transaction
| (BEGIN; the delivery locked FOR UPDATE with its endpoint read; the lease
| written; COMMIT), the endpoint's secret decrypted with the app's cipher
| (@boringnode/encryption, AES-256-GCM, APP_KEY) once per stored value, the
| target URL parsed and checked (private targets allowed, as the app's
| worker in this bench), the Standard Webhooks signature (standardwebhooks),
| the POST over node:http with kept-alive sockets, then the 2xx recorded by
| one statement appending the attempt to the log, as the app's. Started by
| bench/webhooks.ts:
|
|   raw_webhooks.ts <concurrency>     (DB_*, REDIS_*, QUEUE_PREFIX, APP_KEY from the environment)
|
| Prints READY {} once the worker consumes, then enqueues the jobs (as the
| app's worker, whose start-up pass enqueues them) and runs until SIGTERM. Only the delivered path: an attempt that gets
| anything but a 2xx, or a delivery not due, fails loudly rather than do
| less than the app unnoticed.
*/
import http from 'node:http'
import { Queue, Worker } from 'bullmq'
import { Webhook } from 'standardwebhooks'
import { aes256gcm } from '@boringnode/encryption/drivers/aes_256_gcm'
import { rawPool, rawRedis } from './raw_connections.js'
import { inTransaction } from './transaction.js'

const concurrency = Number(process.argv[2])
const env = process.env
const pool = rawPool()
const cipher = aes256gcm({ id: 'gcm', keys: [env.APP_KEY!] }).driver(env.APP_KEY!)
const agent = new http.Agent({ keepAlive: true, timeout: 30_000 })
/** config/webhooks.ts */
const ATTEMPT_LEASE_MS = 30_000
const EARLY_MARGIN_MS = 1_000
const TIMEOUT_MS = 10_000
const KEPT_RESPONSE_CHARACTERS = 500

const secrets = new Map<string, string>()
function secretOf(encrypted: string) {
  let secret = secrets.get(encrypted)
  if (secret === undefined) {
    const decrypted = cipher.decrypt<string>(encrypted)
    if (typeof decrypted !== 'string') throw new Error('unreadable secret')
    secret = decrypted
    secrets.set(encrypted, secret)
  }
  return secret
}

type Claimed = { messageId: string; payload: unknown; url: string; secret: string }

function claim(deliveryId: number): Promise<Claimed> {
  return inTransaction(pool, async (client) => {
    const {
      rows: [row],
    } = await client.query(
      `select "d"."status", "d"."message_id", "d"."payload", "d"."scheduled_at", "d"."leased_until",
              "e"."id" as "endpoint_id", "e"."url", "e"."secret", "e"."disabled_at"
         from "webhook_deliveries" as "d" inner join "webhook_endpoints" as "e" on "e"."id" = "d"."endpoint_id"
        where "d"."id" = $1 limit $2 for update of "d"`,
      [deliveryId, 1]
    )
    const now = Date.now()
    if (
      !row ||
      row.status !== 'scheduled' ||
      row.disabled_at ||
      row.scheduled_at.getTime() - now > EARLY_MARGIN_MS ||
      (row.leased_until && row.leased_until.getTime() > now)
    ) {
      throw new Error(`delivery ${deliveryId}: not claimable, which this baseline does not handle`)
    }
    await client.query(
      'update "webhook_deliveries" set "leased_until" = $1, "updated_at" = $2 where "id" = $3',
      [new Date(now + ATTEMPT_LEASE_MS), new Date(now), deliveryId]
    )
    return { messageId: row.message_id, payload: row.payload, url: row.url, secret: row.secret }
  })
}

function post(url: URL, headers: Record<string, string>, body: string) {
  return new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Relance-Webhooks/1',
          ...headers,
        },
        agent,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('close', () =>
          resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() })
        )
      }
    )
    request.on('error', reject)
    request.end(body)
  })
}

async function deliver(deliveryId: number) {
  const delivery = await claim(deliveryId)
  const at = new Date()
  const started = performance.now()
  const body = JSON.stringify(delivery.payload)
  const url = new URL(delivery.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('refused target')
  const answer = await post(
    url,
    {
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secretOf(delivery.secret)).sign(
        delivery.messageId,
        at,
        body
      ),
    },
    body
  )
  if (answer.statusCode < 200 || answer.statusCode >= 300) {
    throw new Error(`delivery ${deliveryId}: HTTP ${answer.statusCode}, not handled here`)
  }
  const attempt = JSON.stringify({
    at: at.toISOString(),
    statusCode: answer.statusCode,
    error: null,
    durationMs: Math.round(performance.now() - started),
    response: answer.body.slice(0, KEPT_RESPONSE_CHARACTERS) || null,
  })
  const now = new Date()
  // WebhookDelivery.recordDelivered
  await pool.query(
    `WITH delivered AS (
       UPDATE webhook_deliveries
          SET status = 'delivered', delivered_at = $1, attempts = attempts + 1, leased_until = NULL,
              last_status_code = ($2::jsonb ->> 'statusCode')::int, last_error = NULL,
              attempt_log = attempt_log || jsonb_build_array($2::jsonb),
              updated_at = $1
        WHERE id = $3 AND status = 'scheduled'
    RETURNING endpoint_id
     ), recovered AS (
       UPDATE webhook_endpoints SET failing_since = NULL, updated_at = $1
        WHERE id IN (SELECT endpoint_id FROM delivered) AND failing_since IS NOT NULL
     )
     SELECT count(*)::int AS delivered FROM delivered`,
    [now, attempt, deliveryId]
  )
  return 'delivered'
}

const connection = rawRedis(null)
const queue = new Queue('webhooks', {
  prefix: env.QUEUE_PREFIX,
  connection,
  // config/queue.ts
  defaultJobOptions: {
    attempts: 6,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
  },
})
const worker = new Worker('webhooks', (job) => deliver(job.data.deliveryId), {
  prefix: env.QUEUE_PREFIX,
  connection,
  concurrency,
})
worker.on('failed', (job, error) => console.error(`job ${job?.id} failed: ${error.message}`))
await worker.waitUntilReady()
// Consuming, then the jobs enqueued: as the app's worker, whose start-up pass enqueues them
console.log('READY {}')
const { rows } = await pool.query(
  "SELECT id, scheduled_at FROM webhook_deliveries WHERE status = 'scheduled' ORDER BY id"
)
await queue.addBulk(
  rows.map((row) => ({
    name: 'deliver-webhook',
    data: { deliveryId: row.id },
    opts: {
      jobId: `webhook-${row.id}`,
      delay: Math.max(0, row.scheduled_at.getTime() - Date.now()),
    },
  }))
)
process.on('SIGTERM', () => {
  worker
    .close()
    .then(() => Promise.all([queue.close(), pool.end()]))
    .finally(() => process.exit(0))
})
