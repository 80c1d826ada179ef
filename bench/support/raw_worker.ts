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
| (app/mails/checkin_mail_texts.ts). Started by bench/worker_throughput.ts
| and bench/checkin_timing.ts:
|
|   raw_worker.ts <smtpPort> <concurrency> [per-row|batch]
|                        (DB_*, REDIS_*, QUEUE_PREFIX, APP_KEY, APP_URL from the environment)
|
| `batch`: the app's present design without the framework, as
| deliverDueCheckins and CheckinBatcher send (app/services/checkins/): a job
| wakes the process's drain, which sends batches of up to <concurrency>
| users in one transaction each with the app's statements (the users locked
| SKIP LOCKED, their due tasks locked, the emails in flight together, the new
| tokens and the sent tasks in two statements), removing the jobs of the
| tasks it sent after commit.
|
| A user with other check-ins due within the window gets the digest, as the
| per-row path sends it: the other tasks locked, given new tokens, listed in
| one email, all marked sent together, their jobs removed after commit
| (bench/checkin_timing.ts, 100 users × 10 invoices). The benches seed no
| relances, so the next check-in's scheduling never runs: the raw worker
| fails loudly if a job would need it, rather than do less than the app
| unnoticed.
*/
import { Queue, Worker } from 'bullmq'
import type { PoolClient } from 'pg'
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
  DUE_CHECKINS_OF_USERS_SQL,
  DUE_COMPANIONS_SQL,
  DUE_LOOKAHEAD,
  dueCheckinUsersSql,
} from '#services/checkins/due_checkin_sql'
import { CHECKIN_TOKEN } from '#services/checkins/checkin_token'
import { hashLinkToken, linkTokenBatch, writeLinkTokensSql } from '#support/link_tokens'
import { markSentWithEventsSql } from '#support/scheduled_delivery_sql'
import { inTransaction } from './transaction.js'
import { numberedPlaceholders, rawPool, rawRedis, rawTransport } from './raw_connections.js'

const [port, concurrencyArgument, design = 'per-row'] = process.argv.slice(2)
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
/** User.maySendEmailsSql with verification required, as the bench runs the app. */
const DUE_USERS = numberedPlaceholders(dueCheckinUsersSql('du.email_verified_at IS NOT NULL'))
const DUE_OF_USERS = numberedPlaceholders(DUE_CHECKINS_OF_USERS_SQL)

type TaskRow = Record<string, any>
/** A task of an email, with the plain token of its links. */
type Linked = { row: TaskRow; plainToken: string }

/** One invoice of the email, with the links of its task's token. */
function invoiceValues({ row, plainToken }: Linked, locale: 'fr' | 'en'): CheckinInvoiceValues {
  return {
    invoiceNumber: row.number,
    clientName: row.client_name,
    amount: formatAmount(Number(row.amount_cents), row.currency, locale),
    dueDate: formatDate(DateTime.fromISO(row.due_date), locale),
    paidUrl: `${appUrl}/api/v1/checkin/${plainToken}/paid`,
    pendingUrl: `${appUrl}/api/v1/checkin/${plainToken}/pending`,
  }
}

/** The user's email for these tasks of theirs: the single check-in, or the digest. */
function sendCheckinsOf(tasks: Linked[]) {
  const [{ row: first }] = tasks
  if (tasks.some(({ row }) => row.relances_ahead)) {
    throw new Error(`task ${first.id}: a next check-in, which this baseline does not do`)
  }
  const locale = first.locale as 'fr' | 'en'
  const linkLifetime = formatDuration(LINK_TTL, locale)
  const { subject, lines } =
    tasks.length === 1
      ? CHECKIN_MAIL_TEXTS[locale]({
          userName: first.full_name,
          linkLifetime,
          ...invoiceValues(tasks[0], locale),
        })
      : CHECKIN_DIGEST_TEXTS[locale]({
          userName: first.full_name,
          linkLifetime,
          invoices: tasks.map((task) => invoiceValues(task, locale)),
        })
  return transport.sendMail({
    from,
    to: { address: first.email, name: first.full_name },
    subject,
    text: lines.join('\n'),
  })
}

/** New tokens stored on the tasks still scheduled; the ids written. */
async function writeTokens(tokens: { id: number; hash: string }[], client: PoolClient) {
  if (tokens.length === 0) return new Set<number>()
  const { rows } = await client.query(ROTATE_TOKENS, [new Date(), JSON.stringify(tokens)])
  return new Set(rows.map(({ id }) => id as number))
}

/** The tasks `sent`, each with its event, in one statement. */
async function markSent(rows: TaskRow[], client: PoolClient) {
  const at = new Date()
  await client.query(MARK_SENT, [
    at,
    at,
    rows.map(({ id }) => id),
    at,
    JSON.stringify(
      rows.map((row) => ({
        user_id: row.user_id,
        invoice_id: row.invoice_id,
        type: 'checkin_sent',
        label: `Check-in email sent for invoice ${row.number}`,
        metadata: { reason: row.reason },
      }))
    ),
  ])
}

/** Their delayed jobs have nothing left to do; not awaited, as the app's after-commit removal. */
function removeJobsOf(taskIds: number[]) {
  Promise.all(taskIds.map((id) => checkins.remove(`checkin-${id}`))).catch((error) =>
    console.error(`removing jobs failed: ${error.message}`)
  )
}

/** The user's other due tasks, locked, each given a new token: the digest's other invoices. */
async function companionsOf(task: TaskRow, client: PoolClient): Promise<Linked[]> {
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
  const written = await writeTokens(
    rows.map((row, index) => ({ id: row.id, hash: tokens[index].hashed })),
    client
  )
  return rows
    .map((row, index) => ({ row, plainToken: tokens[index].plain }))
    .filter(({ row }) => written.has(row.id))
}

/** The per-row design: this task's claim, its email (with its companions), its commit. */
async function deliver(taskId: number, plainToken: string) {
  const outcome = await inTransaction(pool, async (client) => {
    const {
      rows: [task],
    } = await client.query(CLAIM, [new Date(), new Date(Date.now() + DIGEST_WINDOW_MS), taskId])
    if (!task || task.status !== 'scheduled' || task.invoice_status !== 'pending') return null
    if (task.email_verified_at === null) return null
    if (hashLinkToken(plainToken) !== task.token_hash) return null
    const companions = await companionsOf(task, client)
    await sendCheckinsOf([{ row: task, plainToken }, ...companions])
    await markSent([task, ...companions.map(({ row }) => row)], client)
    return companions.map(({ row }) => row.id as number)
  })
  if (outcome === null) return 'skipped'
  removeJobsOf(outcome)
  return 'sent'
}

/** A job in hand, waiting for the drain. */
type InHand = { taskId: number; plainToken: string; settle(outcome: Promise<unknown>): void }

/**
 * The batch design (the app's deliverDueCheckins), in one transaction: up to
 * `users` users locked (those of the jobs in hand first, then the
 * longest-waiting), each one's due tasks locked and sent as one email, the
 * emails in flight together, then the new tokens and every sent task in
 * two statements. What each task in hand became, by id; the users locked.
 */
async function sendBatch(inHand: InHand[], users: number) {
  const inHandIds = inHand.map(({ taskId }) => taskId)
  const jobTokens = new Map(inHand.map(({ taskId, plainToken }) => [taskId, plainToken]))
  const batch = await inTransaction(pool, async (client) => {
    const now = new Date()
    const horizon = new Date(now.getTime() + DIGEST_WINDOW_MS)
    const { rows: locked } = await client.query(DUE_USERS, [now, inHandIds, DUE_LOOKAHEAD, users])
    const outcomes = new Map<number, 'sent' | Error>()
    if (locked.length === 0) return { outcomes, users: 0, toRemove: [] }
    const { rows } = await client.query(DUE_OF_USERS, [
      now,
      locked.map(({ id }) => id),
      horizon,
      inHandIds,
    ])
    const token = linkTokenBatch(rows.length)
    const fresh = new Map<number, string>()
    const byUser = new Map<number, Linked[]>()
    rows.forEach((row, index) => {
      const tasks = byUser.get(row.user_id) ?? []
      if (row.email_verified_at === null || tasks.length >= DIGEST_LIMIT) return
      const own = jobTokens.get(row.id)
      if (own !== undefined && hashLinkToken(own) === row.token_hash) {
        tasks.push({ row, plainToken: own })
      } else if (row.scheduled_at <= horizon) {
        const { plain, hashed } = token(index)
        tasks.push({ row, plainToken: plain })
        fresh.set(row.id, hashed)
      } else return
      byUser.set(row.user_id, tasks)
    })
    const emails = [...byUser.values()]
    const results = await Promise.allSettled(emails.map(sendCheckinsOf))
    const sent: TaskRow[] = []
    results.forEach((result, index) => {
      for (const { row } of emails[index]) {
        if (result.status === 'fulfilled') sent.push(row)
        outcomes.set(row.id, result.status === 'fulfilled' ? 'sent' : result.reason)
      }
    })
    if (sent.length > 0) {
      await writeTokens(
        sent.filter(({ id }) => fresh.has(id)).map(({ id }) => ({ id, hash: fresh.get(id)! })),
        client
      )
      await markSent(sent, client)
    }
    const toRemove = sent.filter(({ id }) => !jobTokens.has(id)).map(({ id }) => id as number)
    return { outcomes, users: locked.length, toRemove }
  })
  removeJobsOf(batch.toRemove)
  return batch
}

let waiting: InHand[] = []
let draining = false

/**
 * As the app's CheckinBatcher: batches while they come back full, the jobs
 * in hand settled at the drain's end; a job no batch took goes the per-row
 * way at once.
 */
async function drain() {
  const settle: Array<() => void> = []
  let more = true
  for (;;) {
    const fresh = waiting
    waiting = []
    if (fresh.length === 0 && !more) break
    try {
      const batch = await sendBatch(fresh, Math.max(concurrency, fresh.length))
      for (const job of fresh) {
        const outcome = batch.outcomes.get(job.taskId)
        if (outcome === undefined) job.settle(deliver(job.taskId, job.plainToken))
        else
          settle.push(() =>
            job.settle(outcome === 'sent' ? Promise.resolve('sent') : Promise.reject(outcome))
          )
      }
      more = batch.users >= concurrency && [...batch.outcomes.values()].every((o) => o === 'sent')
    } catch (error) {
      for (const job of fresh) settle.push(() => job.settle(Promise.reject(error)))
      more = false
    }
  }
  for (const done of settle) done()
}

function kick() {
  if (draining) return
  draining = true
  drain().finally(() => {
    draining = false
    if (waiting.length > 0) kick()
  })
}

function deliverInBatches(taskId: number, plainToken: string) {
  return new Promise((resolve) => {
    waiting.push({ taskId, plainToken, settle: resolve })
    kick()
  })
}

const worker = new Worker(
  'checkins',
  async (job) => {
    const plainToken = cipher.decrypt<string>(job.data.encryptedToken)
    if (typeof plainToken !== 'string') return 'skipped'
    return design === 'batch'
      ? deliverInBatches(job.data.taskId, plainToken)
      : deliver(job.data.taskId, plainToken)
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
