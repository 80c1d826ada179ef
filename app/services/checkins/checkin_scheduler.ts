import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import type Invoice from '#models/invoice'
import sendCheckinJob, { checkinJob } from '#jobs/send_checkin_job'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import { sendingTimeOn } from '#support/business_calendar'
import {
  cancelScheduledRows,
  insertScheduledRows,
  type ScheduledRows,
} from '#support/scheduled_rows'

const CHECKIN_ROWS: ScheduledRows<typeof CheckinTask> = {
  model: CheckinTask,
  table: 'checkin_tasks',
  job: sendCheckinJob,
}

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
  // Imports share due dates: each day's moment is computed once
  const momentOn = new Map<string, number>()
  const tokens = new Map<number, string>()
  const rows = invoices.map((invoice) => {
    const day = invoice.dueDate.toISODate()!
    if (!momentOn.has(day)) {
      momentOn.set(day, checkinTimeFor(invoice.dueDate, timezone, now).toMillis())
    }
    const token = generateCheckinToken()
    tokens.set(invoice.id, token.plain)
    return { invoice_id: invoice.id, token_hash: token.hashed, scheduled_ms: momentOn.get(day)! }
  })
  const tasks = await insertScheduledRows(
    CHECKIN_ROWS,
    { invoice_id: 'int', token_hash: 'text' },
    rows,
    trx
  )
  sendCheckinJob.enqueueAfterCommit(
    trx,
    tasks.map((task) => checkinJob(task, tokens.get(task.invoiceId)!))
  )
  return tasks
}

/**
 * Replaces the invoice's waiting check-in with one at its due date.
 * Idempotent per invoice: at most one task stays `scheduled`.
 */
export async function scheduleCheckinForInvoice(
  invoice: Pick<Invoice, 'id' | 'dueDate'>,
  timezone: string,
  trx: TransactionClientContract
): Promise<CheckinTask> {
  const [task] = await scheduleCheckinsForInvoices([invoice], timezone, trx)
  return task
}
