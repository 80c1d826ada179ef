import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import Invoice from '#models/invoice'
import type Relance from '#models/relance'
import sendCheckinJob, { checkinJob } from '#jobs/send_checkin_job'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import { afterPause, sendingTimeOn } from '#support/business_calendar'
import { mapInSlices } from '#support/time_slices'
import {
  cancelScheduledRows,
  insertScheduledRows,
  type ScheduledRowRef,
  type ScheduledRows,
} from '#support/scheduled_rows'

export const CHECKIN_ROWS: ScheduledRows = {
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
export async function cancelCheckinsForInvoices(
  invoiceIds: number[],
  trx: TransactionClientContract
) {
  const [cancelled] = await cancelScheduledRows([CHECKIN_ROWS], invoiceIds, trx)
  return cancelled
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
): Promise<ScheduledRowRef[]> {
  if (invoices.length === 0) return []
  await cancelCheckinsForInvoices(
    invoices.map((invoice) => invoice.id),
    trx
  )
  const now = DateTime.now()
  // Imports share due dates: each day's moment is computed once
  const momentOn = new Map<string, number>()
  const tokens = new Map<number, string>()
  const rows = await mapInSlices(invoices, (invoice) => {
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
  // Each job encrypts its token: 10,000 of them take tens of milliseconds
  sendCheckinJob.enqueueAfterCommit(
    trx,
    await mapInSlices(tasks, (task) => checkinJob(task, tokens.get(task.invoiceId)!))
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
): Promise<ScheduledRowRef | undefined> {
  const [task] = await scheduleCheckinsForInvoices([invoice], timezone, trx)
  return task
}

/** 09:00 user time on the weekday before the day of a relance at `relanceAt`. */
export function checkinTimeBeforeRelance(relanceAt: DateTime, timezone: string): DateTime {
  let day = relanceAt.setZone(timezone).startOf('day').minus({ days: 1 })
  while (day.weekday >= 6) day = day.minus({ days: 1 })
  return sendingTimeOn(day, timezone)
}

/**
 * The check-in that comes before the invoice's next relance after the
 * first: the first relance still scheduled, from the second on, whose
 * check-in moment (where the client's pause moved the relance) is still
 * ahead. Null when none is left.
 */
export function nextCheckinBeforeRelance(options: {
  relances: Pick<Relance, 'sequence' | 'status' | 'scheduledAt'>[]
  pausedUntil: DateTime | null
  timezone: string
  now?: DateTime
}): { beforeRelance: number; at: DateTime } | null {
  const now = options.now ?? DateTime.now()
  const upcoming = options.relances
    .filter((relance) => relance.sequence >= 2 && relance.status === 'scheduled')
    .sort((a, b) => a.sequence - b.sequence)
  for (const relance of upcoming) {
    const relanceAt = afterPause(relance.scheduledAt, options.pausedUntil, options.timezone)
    const at = checkinTimeBeforeRelance(relanceAt, options.timezone)
    if (at > now) return { beforeRelance: relance.sequence, at }
  }
  return null
}

/**
 * Gives each of these invoices still pending, whose user wants it, the
 * check-in before its next relance: called once the previous check-in is
 * sent or answered `still_pending`. An invoice that already has a
 * `scheduled` check-in keeps it (the partial unique index decides under
 * concurrency), so this is idempotent. Jobs are enqueued after commit.
 */
export async function scheduleCheckinsBeforeNextRelance(
  invoiceIds: number[],
  trx: TransactionClientContract
): Promise<ScheduledRowRef[]> {
  if (invoiceIds.length === 0) return []
  const invoices = await Invoice.query({ client: trx })
    .whereIn('id', invoiceIds)
    .where('status', 'pending')
    .whereHas('user', (user) => user.where('checkin_before_each_relance', true))
    .preload('user')
    .preload('customer')
    .preload('relances')
  const now = DateTime.now()
  const tokens = new Map<number, string>()
  const rows = invoices.flatMap((invoice) => {
    const next = nextCheckinBeforeRelance({
      relances: invoice.relances,
      pausedUntil: invoice.customer.remindersPausedUntil,
      timezone: invoice.user.timezone,
      now,
    })
    if (!next) return []
    const token = generateCheckinToken()
    tokens.set(invoice.id, token.plain)
    return [
      {
        invoice_id: invoice.id,
        token_hash: token.hashed,
        before_relance: next.beforeRelance,
        scheduled_ms: next.at.toMillis(),
      },
    ]
  })
  const tasks = await insertScheduledRows(
    CHECKIN_ROWS,
    { invoice_id: 'int', token_hash: 'text', before_relance: 'smallint' },
    rows,
    trx,
    { onConflict: "ON CONFLICT (invoice_id) WHERE status = 'scheduled' DO NOTHING" }
  )
  // Each job encrypts its token: 10,000 of them take tens of milliseconds
  sendCheckinJob.enqueueAfterCommit(
    trx,
    await mapInSlices(tasks, (task) => checkinJob(task, tokens.get(task.invoiceId)!))
  )
  return tasks
}

/**
 * Cancels the waiting check-ins before a relance of these invoices; their
 * jobs go after commit.
 */
async function cancelCheckinsBeforeRelance(
  invoiceIds: number[],
  trx: TransactionClientContract
): Promise<{ id: number; invoice_id: number }[]> {
  const cancelled: { id: number; invoice_id: number }[] = await trx
    .from('checkin_tasks')
    .whereIn('invoice_id', invoiceIds)
    .where('status', 'scheduled')
    .whereNotNull('before_relance')
    .update({ status: 'cancelled', updated_at: new Date() }, ['id', 'invoice_id'])
  sendCheckinJob.removeAfterCommit(
    trx,
    cancelled.map(({ id }) => id)
  )
  return cancelled
}

/**
 * Moves the waiting check-ins before a relance of these invoices after
 * their relances moved (a client's pause): cancelled, then scheduled again.
 */
export async function rescheduleCheckinsBeforeRelance(
  invoiceIds: number[],
  trx: TransactionClientContract
) {
  if (invoiceIds.length === 0) return []
  const cancelled = await cancelCheckinsBeforeRelance(invoiceIds, trx)
  return scheduleCheckinsBeforeNextRelance(
    cancelled.map((row) => row.invoice_id),
    trx
  )
}

/** The user turned the setting off: their waiting check-ins before a relance go. */
export async function cancelCheckinsBeforeRelanceOf(
  userId: number,
  trx: TransactionClientContract
) {
  const pending: { id: number }[] = await trx
    .from('invoices')
    .select('id')
    .where('user_id', userId)
    .where('status', 'pending')
  await cancelCheckinsBeforeRelance(
    pending.map(({ id }) => id),
    trx
  )
}
