import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import type Invoice from '#models/invoice'
import { generateCheckinToken } from '#services/checkin_token'
import { sendingTimeOn } from '#services/business_calendar'
import { enqueueAfterCommit, type QueuedJob } from '#services/job_queue'
import { cancelScheduledRows, type ScheduledRows } from '#services/scheduled_rows'
import { modelsFromRows } from '#services/bulk_rows'

export type SendCheckinPayload = {
  taskId: number
  invoiceId: number
  /** The plain token, encrypted: Redis keeps job data in clear text. */
  encryptedToken: string
}

export const checkinJobId = (taskId: number) => `checkin-${taskId}`

/**
 * When the check-in of an invoice goes out: 09:00 on the due date in the
 * user's zone, or shortly after now when that moment has passed.
 */
export function checkinTimeFor(
  dueDate: DateTime,
  timezone: string,
  now: DateTime = DateTime.now()
): DateTime {
  const onDueDate = sendingTimeOn(dueDate, timezone)
  if (onDueDate > now) return onDueDate
  return now.plus({ milliseconds: env.get('CHECKIN_PAST_DUE_DELAY_MS') }).setZone(timezone)
}

/**
 * The job that sends a task's email, carrying a fresh plain token.
 */
export function checkinJob(
  task: Pick<CheckinTask, 'id' | 'invoiceId' | 'scheduledAt'>,
  plainToken: string
): QueuedJob<SendCheckinPayload> {
  return {
    name: 'send-checkin',
    data: {
      taskId: task.id,
      invoiceId: task.invoiceId,
      encryptedToken: encryption.encrypt(plainToken),
    },
    opts: {
      jobId: checkinJobId(task.id),
      delay: Math.max(0, task.scheduledAt.toMillis() - Date.now()),
    },
  }
}

export const CHECKIN_ROWS: ScheduledRows = {
  table: 'checkin_tasks',
  queue: 'checkins',
  jobId: checkinJobId,
}

/**
 * Cancels the waiting check-ins of these invoices in the transaction; their
 * delayed jobs are removed after commit.
 */
export function cancelCheckinsForInvoices(invoiceIds: number[], trx: TransactionClientContract) {
  return cancelScheduledRows(CHECKIN_ROWS, invoiceIds, trx)
}

/**
 * Cancels the invoice's waiting check-ins in the transaction; their delayed
 * jobs are removed after commit.
 */
export function cancelCheckinForInvoice(invoiceId: number, trx: TransactionClientContract) {
  return cancelCheckinsForInvoices([invoiceId], trx)
}

/**
 * Replaces the waiting check-in of each invoice with one at its due date:
 * one UPDATE, one INSERT, whatever the number of invoices, and the jobs
 * enqueued in bulk after commit. Idempotent per invoice: at most one task
 * stays `scheduled`.
 */
export async function scheduleCheckinsForInvoices(
  invoices: Pick<Invoice, 'id' | 'dueDate'>[],
  timezone: string,
  trx: TransactionClientContract
): Promise<CheckinTask[]> {
  if (invoices.length === 0) return []
  await cancelCheckinsForInvoices(
    invoices.map((invoice) => invoice.id),
    trx
  )
  const now = DateTime.now()
  // Imports share due dates: each day's moment is computed once. Moments travel as epoch
  // milliseconds: luxon writes years past 9999 as `+010000-…`, which PostgreSQL refuses
  const momentOn = new Map<string, number>()
  const tokens = new Map<number, string>()
  const rows = invoices.map((invoice) => {
    const day = invoice.dueDate.toISODate()!
    if (!momentOn.has(day)) {
      momentOn.set(day, checkinTimeFor(invoice.dueDate, timezone, now).toMillis())
    }
    const token = generateCheckinToken()
    tokens.set(invoice.id, token.plain)
    return { invoice_id: invoice.id, token_hash: token.hashed, scheduled_ms: momentOn.get(day) }
  })
  const { rows: inserted } = await trx.rawQuery(
    `INSERT INTO checkin_tasks (invoice_id, token_hash, status, scheduled_at, created_at, updated_at)
     SELECT invoice_id, token_hash, 'scheduled', to_timestamp(scheduled_ms / 1000.0), now(), now()
     FROM json_to_recordset(?::json) AS task(invoice_id int, token_hash text, scheduled_ms bigint)
     RETURNING *`,
    [JSON.stringify(rows)]
  )
  const tasks = modelsFromRows(CheckinTask, inserted)
  const jobs = tasks.map((task) => checkinJob(task, tokens.get(task.invoiceId)!))
  enqueueAfterCommit(trx, 'checkins', jobs)
  return tasks
}

/**
 * Replaces the invoice's waiting check-in with one at its due date.
 * Idempotent per invoice: at most one task stays `scheduled`.
 */
export async function scheduleCheckinForInvoice(
  invoice: Invoice,
  timezone: string,
  trx: TransactionClientContract
): Promise<CheckinTask> {
  const [task] = await scheduleCheckinsForInvoices([invoice], timezone, trx)
  return task
}
