/*
| The scale baseline: a bare BullMQ Worker (no framework) that runs the
| reconciler's pass over the check-in rows with pg and BullMQ alone, the
| same work statement for statement: a page of 500 settled rows of verified
| users, EXISTS per job id and ZMSCORE per finished set in one pipeline, for
| the lost ones a fresh token (UPDATE … FROM json_to_recordset), the token
| encrypted (AES-256-GCM), and addBulk of the jobs with the app's options.
| Started by bench/scale.ts:
|
|   raw_reconciler.ts <queueName> <jobOptions.json> <settings.json>
|
| settings.json: {pg, redis, prefix}, the bench's own connection settings. It
| imports packages only, so it runs with Node's type stripping, no loader.
|
| Prints READY once its worker consumes, then runs a pass that re-creates
| every job and a second one that finds nothing missing, prints their times
| as `PASSES {…}`, and idles until SIGTERM.
*/
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { Queue, Worker, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import pg from 'pg'

const [queueName, jobOptions, settingsArgument] = process.argv.slice(2)
const options = JSON.parse(jobOptions) as JobsOptions
const settings = JSON.parse(settingsArgument) as {
  pg: pg.PoolConfig
  redis: { host: string; port: number; password?: string }
  prefix: string
}
const connection = { ...settings.redis, maxRetriesPerRequest: null }
const pool = new pg.Pool({ ...settings.pg, max: 10 })
const queue = new Queue(queueName, { prefix: settings.prefix, connection })
const worker = new Worker(queueName, async () => 'done', {
  prefix: settings.prefix,
  connection,
  concurrency: 10,
})
const key = randomBytes(32)
const BATCH = 500

function encrypt(plain: string) {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const sealed = Buffer.concat([cipher.update(JSON.stringify({ message: plain })), cipher.final()])
  return `${sealed.toString('base64url')}.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`
}

async function pass(settledBefore: Date) {
  const client = (await queue.backend.client) as unknown as Redis
  let afterId = 0
  let restored = 0
  while (true) {
    const { rows } = await pool.query<{ id: number; invoice_id: number; scheduled_at: Date }>(
      `SELECT id, invoice_id, scheduled_at FROM checkin_tasks
        WHERE status = 'scheduled' AND updated_at < $1 AND id > $2
          AND invoice_id IN (SELECT invoices.id FROM invoices JOIN users ON users.id = invoices.user_id
                              WHERE users.email_verified_at IS NOT NULL)
        ORDER BY id LIMIT ${BATCH}`,
      [settledBefore, afterId]
    )
    if (rows.length === 0) return restored
    afterId = rows[rows.length - 1].id
    const ids = rows.map((row) => `checkin-${row.id}`)
    const pipeline = client.pipeline()
    for (const id of ids) pipeline.exists(queue.toKey(id))
    pipeline.zmscore(queue.toKey('completed'), ...ids)
    pipeline.zmscore(queue.toKey('failed'), ...ids)
    const replies = ((await pipeline.exec()) ?? []).map(([, reply]) => reply)
    const lost = rows.filter((_, index) => replies[index] === 0)
    if (lost.length === 0) continue
    const tokens = lost.map((row) => {
      const plain = randomBytes(32).toString('base64url')
      return { id: row.id, plain, hash: createHash('sha256').update(plain).digest('hex') }
    })
    const { rows: rotated } = await pool.query<{ id: number }>(
      `UPDATE checkin_tasks SET token_hash = fresh.hash, updated_at = now()
         FROM json_to_recordset($1::json) AS fresh(id integer, hash text)
        WHERE checkin_tasks.id = fresh.id AND checkin_tasks.status = 'scheduled'
        RETURNING checkin_tasks.id`,
      [JSON.stringify(tokens.map(({ id, hash }) => ({ id, hash })))]
    )
    const kept = new Set(rotated.map(({ id }) => id))
    const byId = new Map(lost.map((row) => [row.id, row]))
    await queue.addBulk(
      tokens
        .filter(({ id }) => kept.has(id))
        .map(({ id, plain }) => ({
          name: 'send-checkin',
          data: { taskId: id, invoiceId: byId.get(id)!.invoice_id, encryptedToken: encrypt(plain) },
          opts: {
            ...options,
            jobId: `checkin-${id}`,
            delay: Math.max(0, byId.get(id)!.scheduled_at.getTime() - Date.now()),
          },
        }))
    )
    restored += kept.size
  }
}

await worker.waitUntilReady()
console.log('READY {}')
// No grace period, as the bench runs the app's passes
let started = performance.now()
const restored = await pass(new Date())
const restoreMs = performance.now() - started
started = performance.now()
const restoredAgain = await pass(new Date())
const checkMs = performance.now() - started
console.log(`PASSES ${JSON.stringify({ restored, restoreMs, restoredAgain, checkMs })}`)

process.on('SIGTERM', () => {
  Promise.all([worker.close(), queue.close(), pool.end()]).finally(() => process.exit(0))
})
