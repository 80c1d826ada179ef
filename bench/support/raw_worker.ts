/*
| The raw worker baseline: what `node ace queue:work` does for a check-in
| job, without the framework. A bare BullMQ Worker on the app's `checkins`
| queue (same jobs, same concurrency), pg and pooled nodemailer (as
| baseline_mailer.ts: pool, Nagle off). Per job, the statements of
| app/services/checkins/checkin_delivery.ts and app/support/scheduled_delivery.ts,
| in one transaction: the claim (user and task locked, the email's data read),
| the SMTP send, the task `sent` with its event, commit. The token is
| decrypted with the app's cipher (@boringnode/encryption, AES-256-GCM, APP_KEY),
| the email's text is built by the app's own templates
| (app/mails/checkin_mail_texts.ts). Started by bench/worker_throughput.ts:
|
|   raw_worker.ts <smtpPort> <concurrency>     (DB_*, REDIS_*, QUEUE_PREFIX,
|                                               APP_KEY, APP_URL from the environment)
|
| The bench seeds one invoice per user and no relances, so neither the digest
| nor the next check-in's scheduling ever runs: the raw worker fails loudly
| if a job would need them, rather than do less than the app unnoticed.
*/
import net from 'node:net'
import { createHash } from 'node:crypto'
import { Worker } from 'bullmq'
import pg from 'pg'
import nodemailer from 'nodemailer'
import { DateTime } from 'luxon'
import { aes256gcm } from '@boringnode/encryption/drivers/aes_256_gcm'
import { CHECKIN_MAIL_TEXTS } from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration } from '#mails/formatting'
import { inTransaction } from './transaction.js'

const [port, concurrencyArgument] = process.argv.slice(2)
const concurrency = Number(concurrencyArgument)
const env = process.env
const DIGEST_WINDOW_MS = 60_000
/** CheckinTask.LINK_TTL */
const LINK_TTL = { hours: 24 }

const cipher = aes256gcm({ id: 'gcm', keys: [env.APP_KEY!] }).driver(env.APP_KEY!)
const pool = new pg.Pool({
  host: env.DB_HOST,
  port: Number(env.DB_PORT),
  user: env.DB_USER,
  password: env.DB_PASSWORD || undefined,
  database: env.DB_DATABASE,
  max: 10,
})
const transport = nodemailer.createTransport({
  host: '127.0.0.1',
  port: Number(port),
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: 10,
  getSocket(_options, callback) {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port), noDelay: true })
    socket.once('connect', () => callback(null, { connection: socket }))
  },
})
const from = { address: env.MAIL_FROM_ADDRESS!, name: env.MAIL_FROM_NAME! }
const appUrl = env.APP_URL!.replace(/\/+$/, '')

// checkin_delivery.ts: claimCheckin
const CLAIM = `SELECT t.id, t.invoice_id, t.token_hash, t.status, t.scheduled_at,
  i.user_id, i.number, i.amount_cents, i.currency, i.due_date::text AS due_date,
  i.status AS invoice_status, u.email, u.full_name, u.locale, u.email_verified_at,
  c.name AS client_name,
  u.checkin_before_each_relance AND EXISTS (
    SELECT 1 FROM relances AS r
     WHERE r.invoice_id = i.id AND r.sequence >= 2 AND r.status = 'scheduled'
  ) AS relances_ahead,
  EXISTS (
    SELECT 1 FROM checkin_tasks AS o JOIN invoices AS oi ON oi.id = o.invoice_id
     WHERE oi.user_id = i.user_id AND oi.status = 'pending' AND o.status = 'scheduled'
       AND o.id <> t.id AND o.scheduled_at <= $1
  ) AS has_companions
  FROM checkin_tasks AS t
  JOIN invoices AS i ON i.id = t.invoice_id
  JOIN users AS u ON u.id = i.user_id
  JOIN clients AS c ON c.id = i.client_id
 WHERE t.id = $2
   FOR NO KEY UPDATE OF u FOR UPDATE OF t`

// scheduled_delivery.ts: markSentWithEvents
const MARK_SENT = `WITH sent AS (
    UPDATE checkin_tasks SET status = 'sent', sent_at = $1, updated_at = $2 WHERE id = ANY($3::int[])
  )
  INSERT INTO activity_events (user_id, invoice_id, type, label, metadata, created_at)
  SELECT e.user_id, e.invoice_id, e.type, e.label, coalesce(e.metadata, '{}'), $4
    FROM json_to_recordset($5::json)
      AS e(user_id integer, invoice_id integer, type text, label text, metadata jsonb)`

async function deliver(taskId: number, plainToken: string) {
  return inTransaction(pool, async (client) => {
    const {
      rows: [task],
    } = await client.query(CLAIM, [new Date(Date.now() + DIGEST_WINDOW_MS), taskId])
    if (!task || task.status !== 'scheduled' || task.invoice_status !== 'pending') return 'skipped'
    if (task.email_verified_at === null) return 'skipped'
    if (createHash('sha256').update(plainToken).digest('hex') !== task.token_hash) return 'skipped'
    if (task.has_companions || task.relances_ahead) {
      throw new Error(
        `task ${taskId}: a digest or a next check-in, which this baseline does not do`
      )
    }
    const locale = task.locale as 'fr' | 'en'
    const { subject, lines } = CHECKIN_MAIL_TEXTS[locale]({
      userName: task.full_name,
      linkLifetime: formatDuration(LINK_TTL, locale),
      invoiceNumber: task.number,
      clientName: task.client_name,
      amount: formatAmount(Number(task.amount_cents), task.currency, locale),
      dueDate: formatDate(DateTime.fromISO(task.due_date), locale),
      paidUrl: `${appUrl}/api/v1/checkin/${plainToken}/paid`,
      pendingUrl: `${appUrl}/api/v1/checkin/${plainToken}/pending`,
    })
    await transport.sendMail({
      from,
      to: { address: task.email, name: task.full_name },
      subject,
      text: lines.join('\n'),
    })
    const at = new Date()
    await client.query(MARK_SENT, [
      at,
      at,
      [task.id],
      at,
      JSON.stringify([
        {
          user_id: task.user_id,
          invoice_id: task.invoice_id,
          type: 'checkin_sent',
          label: `Check-in email sent for invoice ${task.number}`,
          metadata: {},
        },
      ]),
    ])
    return 'sent'
  })
}

const worker = new Worker(
  'checkins',
  async (job) => {
    const plainToken = cipher.decrypt<string>(job.data.encryptedToken)
    if (typeof plainToken !== 'string') return 'skipped'
    return deliver(job.data.taskId, plainToken)
  },
  {
    prefix: env.QUEUE_PREFIX,
    connection: {
      host: env.REDIS_HOST,
      port: Number(env.REDIS_PORT),
      password: env.REDIS_PASSWORD || undefined,
      maxRetriesPerRequest: null,
    },
    concurrency,
  }
)
worker.on('failed', (job, error) => console.error(`job ${job?.id} failed: ${error.message}`))
await worker.waitUntilReady()
console.log('READY {}')
process.on('SIGTERM', () => {
  worker
    .close()
    .then(() => Promise.all([pool.end(), transport.close()]))
    .finally(() => process.exit(0))
})
