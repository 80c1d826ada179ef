import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import Invoice from '#models/invoice'
import type Relance from '#models/relance'
import sendCheckinJob, { checkinJob } from '#jobs/send_checkin_job'
import type { CheckinReason, ClientSignal } from '#models/checkin_task'
import { checkinTokenBatch, generateCheckinToken } from '#services/checkins/checkin_token'
import { relanceMayGoAt, waitsOf, type RelanceWaits } from '#services/relances/relance_waits'
import { sendingTimeOn } from '#support/business_calendar'
import { loadInTurn } from '#support/load_in_turn'
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

/** An invoice about to get its check-in, its due date a calendar day (YYYY-MM-DD). */
export type CheckinTarget = { id: number; dueDate: string }

/**
 * Replaces the waiting check-in of each invoice with one at its due date:
 * one UPDATE, one INSERT, whatever the number of invoices, and the jobs
 * enqueued in bulk after commit. Idempotent per invoice: at most one task
 * stays `scheduled`.
 */
export async function scheduleCheckinsForInvoices(
  invoices: CheckinTarget[],
  timezone: string,
  trx: TransactionClientContract
): Promise<ScheduledRowRef[]> {
  if (invoices.length === 0) return []
  await cancelCheckinsForInvoices(
    invoices.map((invoice) => invoice.id),
    trx
  )
  const now = DateTime.now()
  // Imports share due dates: each day's moment is computed once, rows keep plain values
  const momentOn = new Map<string, number>()
  const tokenAt = checkinTokenBatch(invoices.length)
  const tokens = new Map<number, string>()
  const rows = await mapInSlices(invoices, ({ id, dueDate }, index) => {
    let moment = momentOn.get(dueDate)
    if (moment === undefined) {
      moment = checkinTimeFor(DateTime.fromISO(dueDate, { zone: 'utc' }), timezone, now).toMillis()
      momentOn.set(dueDate, moment)
    }
    const token = tokenAt(index)
    tokens.set(id, token.plain)
    return { invoice_id: id, token_hash: token.hashed, scheduled_ms: moment }
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
  const [task] = await scheduleCheckinsForInvoices(
    [{ id: invoice.id, dueDate: invoice.dueDate.toISODate()! }],
    timezone,
    trx
  )
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
 * check-in moment (where the client's pause or the invoice's hold moved the
 * relance) is still ahead, and not inside the hold (the freelancer heard
 * from the client then). Null when none is left, or while the relances wait
 * for someone to act (a hold until lifted, a bounced address).
 */
export function nextCheckinBeforeRelance(options: {
  relances: Pick<Relance, 'sequence' | 'status' | 'scheduledAt'>[]
  pausedUntil: DateTime | null
  hold?: RelanceWaits['hold']
  bounced?: boolean
  timezone: string
  now?: DateTime
}): { beforeRelance: number; at: DateTime } | null {
  const now = options.now ?? DateTime.now()
  const waits: RelanceWaits = {
    pausedUntil: options.pausedUntil,
    hold: options.hold ?? null,
    bounced: options.bounced ?? false,
  }
  const upcoming = options.relances
    .filter((relance) => relance.sequence >= 2 && relance.status === 'scheduled')
    .sort((a, b) => a.sequence - b.sequence)
  for (const relance of upcoming) {
    const relanceAt = relanceMayGoAt(relance.scheduledAt, waits, options.timezone)
    if (!relanceAt) return null
    const at = checkinTimeBeforeRelance(relanceAt, options.timezone)
    const holdUntil = waits.hold?.until
    if (at > now && (!holdUntil || at >= holdUntil)) return { beforeRelance: relance.sequence, at }
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
  await loadInTurn(invoices, ['user', 'customer', 'relances'], trx)
  const now = DateTime.now()
  const tokens = new Map<number, string>()
  const rows = invoices.flatMap((invoice) => {
    const next = nextCheckinBeforeRelance({
      relances: invoice.relances,
      ...waitsOf(invoice, invoice.customer, now),
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
        reason: 'before_relance',
        before_relance: next.beforeRelance,
        scheduled_ms: next.at.toMillis(),
      },
    ]
  })
  const tasks = await insertScheduledRows(
    CHECKIN_ROWS,
    { invoice_id: 'int', token_hash: 'text', reason: 'text', before_relance: 'smallint' },
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
 * What a hold placed or lifted does to the invoice's check-ins: the one
 * waiting for the due date or before a relance goes (a signal's own stays),
 * and the check-in before its next relance comes where the hold left the
 * relances (none while it waits for someone to act).
 */
export async function followHold(invoiceId: number, trx: TransactionClientContract) {
  const cancelled: { id: number }[] = await trx
    .from('checkin_tasks')
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .whereIn('reason', ['due', 'before_relance'])
    .update({ status: 'cancelled', updated_at: new Date() }, ['id'])
  sendCheckinJob.removeAfterCommit(
    trx,
    cancelled.map(({ id }) => id)
  )
  return scheduleCheckinsBeforeNextRelance([invoiceId], trx)
}

/**
 * The check-in a client's signal creates (a reported payment, a reply):
 * in place of any check-in the invoice had waiting, due within
 * CHECKIN_PAST_DUE_DELAY_MS so that it joins the digest of anything else
 * due, carrying what the client said, its links working until `expiresAt`
 * (the end of the signal's hold). Its job is enqueued after commit.
 */
export async function createSignalCheckin(
  invoiceId: number,
  details: {
    reason: Extract<CheckinReason, 'payment_reported' | 'client_replied'>
    signal: ClientSignal
    expiresAt: DateTime
  },
  trx: TransactionClientContract
): Promise<ScheduledRowRef> {
  await cancelCheckinsForInvoices([invoiceId], trx)
  const token = generateCheckinToken()
  const [task] = await insertScheduledRows(
    CHECKIN_ROWS,
    {
      invoice_id: 'int',
      token_hash: 'text',
      reason: 'text',
      signal: 'jsonb',
      expires_at: 'timestamptz',
    },
    [
      {
        invoice_id: invoiceId,
        token_hash: token.hashed,
        reason: details.reason,
        signal: details.signal,
        expires_at: details.expiresAt.toISO(),
        scheduled_ms: Date.now() + env.get('CHECKIN_PAST_DUE_DELAY_MS'),
      },
    ],
    trx
  )
  sendCheckinJob.enqueueAfterCommit(trx, [checkinJob(task, token.plain)])
  return task
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
