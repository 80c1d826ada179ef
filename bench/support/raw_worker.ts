/*
| The raw worker baseline: what `node ace queue:work` does for a check-in
| job, without the framework. A bare BullMQ Worker on the app's `checkins`
| queue (same jobs, same concurrency), pg and pooled nodemailer (as
| baseline_mailer.ts: pool, Nagle off). Per job, the statements of the app's
| per-row path (deliverCheckin in app/services/checkins/checkin_delivery.ts and
| app/support/scheduled_delivery.ts; one job per email, as the app sent before
| its batches), in one transaction: the claim (user and task locked, the email's data read),
| the SMTP send, the task `sent` with its event, commit. The token is
| decrypted with the app's cipher (@boringnode/encryption, AES-256-GCM, APP_KEY),
| the email's text is built by the app's own templates
| (app/mails/checkin_mail_texts.ts). Started by bench/worker_throughput.ts:
|
|   raw_worker.ts <smtpPort> <concurrency>     (DB_*, REDIS_*, QUEUE_PREFIX,
|                                               APP_KEY, APP_URL from the environment)
|
| A user with other check-ins due within the window gets the digest, as the
| per-row path sends it: the other tasks locked, given new tokens, listed in
| one email, all marked sent together, their jobs removed after commit
| (bench/checkin_timing.ts, 100 users × 10 invoices). The benches seed no
| relances, so the next check-in's scheduling never runs: the raw worker
| fails loudly if a job would need it, rather than do less than the app
| unnoticed.
*/
import { createHash } from 'node:crypto'
import { Queue, Worker } from 'bullmq'
import { DateTime } from 'luxon'
import { aes256gcm } from '@boringnode/encryption/drivers/aes_256_gcm'
import {
  CHECKIN_DIGEST_TEXTS,
  CHECKIN_MAIL_TEXTS,
  type CheckinInvoiceValues,
} from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration } from '#mails/formatting'
import {
  CLAIM_CHECKIN_SQL,
  DIGEST_LIMIT,
  DIGEST_WINDOW_MS,
  DUE_COMPANIONS_SQL,
} from '#services/checkins/due_checkin_sql'
import { CHECKIN_TOKEN } from '#services/checkins/checkin_token'
import { linkTokenBatch, writeLinkTokensSql } from '#support/link_tokens'
import { markSentWithEventsSql } from '#support/scheduled_delivery_sql'
import { inTransaction } from './transaction.js'
import { numberedPlaceholders, rawPool, rawRedis, rawTransport } from './raw_connections.js'

const [port, concurrencyArgument] = process.argv.slice(2)
const concurrency = Number(concurrencyArgument)
const env = process.env
/** CheckinTask.LINK_TTL */
const LINK_TTL = { hours: 24 }

const cipher = aes256gcm({ id: 'gcm', keys: [env.APP_KEY!] }).driver(env.APP_KEY!)
const pool = rawPool()
const transport = rawTransport(Number(port), 10)
const from = { address: env.MAIL_FROM_ADDRESS!, name: env.MAIL_FROM_NAME! }
const appUrl = env.APP_URL!.replace(/\/+$/, '')

const checkins = new Queue('checkins', { prefix: env.QUEUE_PREFIX, connection: rawRedis(1) })

const CLAIM = numberedPlaceholders(CLAIM_CHECKIN_SQL)
const COMPANIONS = numberedPlaceholders(DUE_COMPANIONS_SQL)
/** New tokens for the digest's other tasks, on those still scheduled. */
const ROTATE_TOKENS = numberedPlaceholders(writeLinkTokensSql(CHECKIN_TOKEN))

const MARK_SENT = numberedPlaceholders(markSentWithEventsSql('checkin_tasks'))

type TaskRow = Record<string, any>

/** One invoice of the email, with the links of its task's token. */
function invoiceValues(
  task: TaskRow,
  plainToken: string,
  locale: 'fr' | 'en'
): CheckinInvoiceValues {
  return {
    invoiceNumber: task.number,
    clientName: task.client_name,
    amount: formatAmount(Number(task.amount_cents), task.currency, locale),
    dueDate: formatDate(DateTime.fromISO(task.due_date), locale),
    paidUrl: `${appUrl}/api/v1/checkin/${plainToken}/paid`,
    pendingUrl: `${appUrl}/api/v1/checkin/${plainToken}/pending`,
  }
}

/** The user's other due tasks, locked, each given a new token: the digest's other invoices. */
async function companionsOf(task: TaskRow, client: import('pg').PoolClient) {
  if (!task.has_companions) return []
  const { rows } = await client.query(COMPANIONS, [
    new Date(),
    task.user_id,
    task.id,
    new Date(Date.now() + DIGEST_WINDOW_MS),
    DIGEST_LIMIT - 1,
  ])
  const token = linkTokenBatch(rows.length)
  const tokens = rows.map((_row, index) => token(index))
  const { rows: rotated } = await client.query(ROTATE_TOKENS, [
    new Date(),
    JSON.stringify(rows.map((row, index) => ({ id: row.id, hash: tokens[index].hashed }))),
  ])
  const written = new Set(rotated.map(({ id }) => id))
  return rows
    .map((row, index) => ({ row, plainToken: tokens[index].plain }))
    .filter(({ row }) => written.has(row.id))
}

async function deliver(taskId: number, plainToken: string) {
  const outcome = await inTransaction(pool, async (client) => {
    const {
      rows: [task],
    } = await client.query(CLAIM, [new Date(), new Date(Date.now() + DIGEST_WINDOW_MS), taskId])
    if (!task || task.status !== 'scheduled' || task.invoice_status !== 'pending') return null
    if (task.email_verified_at === null) return null
    if (createHash('sha256').update(plainToken).digest('hex') !== task.token_hash) return null
    if (task.relances_ahead) {
      throw new Error(`task ${taskId}: a next check-in, which this baseline does not do`)
    }
    const companions = await companionsOf(task, client)
    const locale = task.locale as 'fr' | 'en'
    const linkLifetime = formatDuration(LINK_TTL, locale)
    const { subject, lines } =
      companions.length === 0
        ? CHECKIN_MAIL_TEXTS[locale]({
            userName: task.full_name,
            linkLifetime,
            ...invoiceValues(task, plainToken, locale),
          })
        : CHECKIN_DIGEST_TEXTS[locale]({
            userName: task.full_name,
            linkLifetime,
            invoices: [
              invoiceValues(task, plainToken, locale),
              ...companions.map((other) => invoiceValues(other.row, other.plainToken, locale)),
            ],
          })
    await transport.sendMail({
      from,
      to: { address: task.email, name: task.full_name },
      subject,
      text: lines.join('\n'),
    })
    const sent = [task, ...companions.map(({ row }) => row)]
    const at = new Date()
    await client.query(MARK_SENT, [
      at,
      at,
      sent.map(({ id }) => id),
      at,
      JSON.stringify(
        sent.map((row) => ({
          user_id: row.user_id,
          invoice_id: row.invoice_id,
          type: 'checkin_sent',
          label: `Check-in email sent for invoice ${row.number}`,
          metadata: { reason: row.reason },
        }))
      ),
    ])
    return companions.map(({ row }) => row.id as number)
  })
  if (outcome === null) return 'skipped'
  // The digest's other tasks are sent: their delayed jobs have nothing left to do
  await Promise.all(outcome.map((id) => checkins.remove(`checkin-${id}`)))
  return 'sent'
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
    connection: rawRedis(null),
    concurrency,
  }
)
worker.on('failed', (job, error) => console.error(`job ${job?.id} failed: ${error.message}`))
await worker.waitUntilReady()
console.log('READY {}')
process.on('SIGTERM', () => {
  worker
    .close()
    .then(() => Promise.all([pool.end(), transport.close(), checkins.close()]))
    .finally(() => process.exit(0))
})
