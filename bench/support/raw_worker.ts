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
| The bench seeds one invoice per user and no relances, so neither the digest
| nor the next check-in's scheduling ever runs: the raw worker fails loudly
| if a job would need them, rather than do less than the app unnoticed.
*/
import { createHash } from 'node:crypto'
import { Worker } from 'bullmq'
import { DateTime } from 'luxon'
import { aes256gcm } from '@boringnode/encryption/drivers/aes_256_gcm'
import { CHECKIN_MAIL_TEXTS } from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration } from '#mails/formatting'
import { CLAIM_CHECKIN_SQL, DIGEST_WINDOW_MS } from '#services/checkins/due_checkin_sql'
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

const CLAIM = numberedPlaceholders(CLAIM_CHECKIN_SQL)

const MARK_SENT = numberedPlaceholders(markSentWithEventsSql('checkin_tasks'))

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
    .then(() => Promise.all([pool.end(), transport.close()]))
    .finally(() => process.exit(0))
})
