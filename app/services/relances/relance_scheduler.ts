import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Relance from '#models/relance'
import type Invoice from '#models/invoice'
import sendRelanceJob, { relanceJob } from '#jobs/send_relance_job'
import {
  afterPause,
  laterDay,
  nextSendingTimeAfter,
  onWeekday,
  sendingTimeOn,
  todayIn,
} from '#support/business_calendar'
import { modelsFromRows } from '#support/bulk_rows'
import { mapInSlices } from '#support/time_slices'
import {
  insertScheduledRows,
  type ScheduledRowRef,
  type ScheduledRows,
} from '#support/scheduled_rows'

export const RELANCE_ROWS: ScheduledRows = {
  table: 'relances',
  job: sendRelanceJob,
}

/**
 * The moments of an invoice's relances: 09:00 user-local on (the later of the
 * due date and today) + each offset, moved off weekends and out of the
 * client's pause. The check-in (due date, or now when past) stays at least a
 * day ahead of the first one.
 */
export function relanceTimesFor(options: {
  dueDate: DateTime
  offsets: number[]
  timezone: string
  pausedUntil?: DateTime | null
  now?: DateTime
}): DateTime[] {
  const { dueDate, offsets, timezone } = options
  const start = laterDay(dueDate, todayIn(timezone, options.now ?? DateTime.now()))
  return [...offsets]
    .sort((a, b) => a - b)
    .map((offset) =>
      afterPause(
        onWeekday(sendingTimeOn(start.plus({ days: offset }), timezone)),
        options.pausedUntil ?? null,
        timezone
      )
    )
}

type SchedulingContext = {
  offsets: number[]
  timezone: string
  pausedUntil: DateTime | null
}

/**
 * An invoice about to get its relances, its due date a calendar day
 * (YYYY-MM-DD), with its client's pause.
 */
export type RelanceTarget = { id: number; dueDate: string; pausedUntil: DateTime | null }

/**
 * Creates the relances of invoices that have none yet: one INSERT whatever
 * the number of invoices, and the jobs enqueued in bulk after commit.
 */
export async function scheduleRelancesForNewInvoices(
  invoices: RelanceTarget[],
  context: Omit<SchedulingContext, 'pausedUntil'>,
  trx: TransactionClientContract
): Promise<ScheduledRowRef[]> {
  if (invoices.length === 0 || context.offsets.length === 0) return []
  const now = DateTime.now()
  // Imports share due dates and pauses: each schedule is computed once
  const schedules = new Map<string, number[]>()
  const rows = invoices.flatMap(({ id, dueDate, pausedUntil }) => {
    const key = `${dueDate}|${pausedUntil?.toISODate() ?? ''}`
    if (!schedules.has(key)) {
      const times = relanceTimesFor({
        ...context,
        dueDate: DateTime.fromISO(dueDate, { zone: 'utc' }),
        pausedUntil,
        now,
      })
      schedules.set(
        key,
        times.map((time) => time.toMillis())
      )
    }
    return schedules.get(key)!.map((scheduledMs, index) => ({
      invoice_id: id,
      sequence: index + 1,
      scheduled_ms: scheduledMs,
    }))
  })
  const relances = await insertScheduledRows(
    RELANCE_ROWS,
    { invoice_id: 'int', sequence: 'smallint' },
    rows,
    trx
  )
  sendRelanceJob.enqueueAfterCommit(trx, await mapInSlices(relances, relanceJob))
  return relances
}

/**
 * Creates the invoice's relances, or moves the ones still waiting when the
 * due date changed. Jobs are (re)enqueued after commit.
 */
export async function scheduleRelancesForInvoice(
  invoice: Pick<Invoice, 'id' | 'dueDate'>,
  context: SchedulingContext,
  trx: TransactionClientContract
): Promise<ScheduledRowRef[]> {
  const existing = await Relance.query({ client: trx })
    .where('invoice_id', invoice.id)
    .orderBy('sequence', 'asc')
  if (existing.length === 0) {
    return scheduleRelancesForNewInvoices(
      [
        {
          id: invoice.id,
          dueDate: invoice.dueDate.toISODate()!,
          pausedUntil: context.pausedUntil,
        },
      ],
      context,
      trx
    )
  }

  const times = relanceTimesFor({ dueDate: invoice.dueDate, ...context })
  const moved: Relance[] = []
  for (const relance of existing.filter((row) => row.isScheduled)) {
    const scheduledAt = times[relance.sequence - 1] ?? times[times.length - 1]
    await relance.useTransaction(trx).merge({ scheduledAt }).save()
    moved.push(relance)
  }
  // A moved relance keeps its job id: the old delayed job goes first
  sendRelanceJob.replaceAfterCommit(trx, moved.map(relanceJob))
  return moved
}

/**
 * Schedules again the invoice's cancelled relances whose time is still
 * ahead: for a reopened invoice, those are the ones its payment cancelled
 * (a paid invoice is never cancelled, so nothing else cancelled them).
 * Their jobs replace, after commit, any old job kept under the same id.
 */
export async function resumeCancelledRelances(
  invoiceId: number,
  trx: TransactionClientContract
): Promise<Relance[]> {
  const rows = await trx
    .from('relances')
    .where('invoice_id', invoiceId)
    .where('status', 'cancelled')
    .where('scheduled_at', '>', new Date())
    .update({ status: 'scheduled', updated_at: new Date() }, ['*'])
  const relances = await modelsFromRows(Relance, rows)
  sendRelanceJob.replaceAfterCommit(trx, relances.map(relanceJob))
  return relances
}

/**
 * What was kept back goes out again, never in a burst: the waiting
 * relances of these invoices that came due (and those a hold had moved to
 * `movedBy.to`, its end, since `movedBy.since`) move to the next weekday
 * 09:00 in the user's zone, where they go as one email per client. Every
 * scheduled relance of these invoices gets its job again after commit (a
 * held relance's job has finished).
 */
export async function resumeWaitingRelances(
  invoiceIds: number[],
  timezone: string,
  trx: TransactionClientContract,
  {
    now = DateTime.now(),
    movedBy,
  }: { now?: DateTime; movedBy?: { to: DateTime; since: DateTime } } = {}
): Promise<Relance[]> {
  if (invoiceIds.length === 0) return []
  const next = nextSendingTimeAfter(now, timezone)
  await trx
    .from('relances')
    .whereIn('invoice_id', invoiceIds)
    .where('status', 'scheduled')
    .where((waiting) => {
      waiting.where('scheduled_at', '<=', now.toJSDate())
      if (movedBy) {
        waiting.orWhere((moved) =>
          moved
            .where('scheduled_at', movedBy.to.toJSDate())
            .where('updated_at', '>=', movedBy.since.toJSDate())
        )
      }
    })
    .update({ scheduled_at: next.toJSDate(), updated_at: now.toJSDate() })
  const rows = await trx
    .from('relances')
    .whereIn('invoice_id', invoiceIds)
    .where('status', 'scheduled')
  const relances = await modelsFromRows(Relance, rows)
  sendRelanceJob.replaceAfterCommit(trx, relances.map(relanceJob))
  return relances
}
