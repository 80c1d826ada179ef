import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Relance from '#models/relance'
import type Invoice from '#models/invoice'
import { laterDay, onWeekday, sendingTimeOn, todayIn } from '#services/business_calendar'
import { afterCommit, enqueue, removeJobs, type QueuedJob } from '#services/job_queue'

export type SendRelancePayload = { relanceId: number; invoiceId: number }

export const relanceJobId = (relanceId: number) => `relance-${relanceId}`

/**
 * A relance that falls inside a client's pause waits for the first weekday
 * 09:00 after the paused day.
 */
export function afterPause(moment: DateTime, pausedUntil: DateTime | null, timezone: string) {
  if (!pausedUntil) return moment
  const resume = sendingTimeOn(pausedUntil.plus({ days: 1 }), timezone)
  return moment < resume ? onWeekday(resume) : moment
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

export function relanceJob(relance: Relance): QueuedJob<SendRelancePayload> {
  return {
    name: 'send-relance',
    data: { relanceId: relance.id, invoiceId: relance.invoiceId },
    opts: {
      jobId: relanceJobId(relance.id),
      delay: Math.max(0, relance.scheduledAt.toMillis() - Date.now()),
    },
  }
}

type SchedulingContext = {
  offsets: number[]
  timezone: string
  pausedUntil: DateTime | null
}

/**
 * Creates the invoice's relances, or moves the ones still waiting when the
 * due date changed. Jobs are (re)enqueued after commit.
 */
export async function scheduleRelancesForInvoice(
  invoice: Invoice,
  context: SchedulingContext,
  trx: TransactionClientContract
): Promise<Relance[]> {
  const times = relanceTimesFor({ dueDate: invoice.dueDate, ...context })
  const existing = await Relance.query({ client: trx })
    .where('invoice_id', invoice.id)
    .orderBy('sequence', 'asc')
  const scheduled: Relance[] = []

  if (existing.length === 0) {
    scheduled.push(
      ...(await Relance.createMany(
        times.map((scheduledAt, index) => ({
          invoiceId: invoice.id,
          sequence: index + 1,
          scheduledAt,
          status: 'scheduled' as const,
        })),
        { client: trx }
      ))
    )
  } else {
    for (const relance of existing.filter((row) => row.status === 'scheduled')) {
      const scheduledAt = times[relance.sequence - 1] ?? times[times.length - 1]
      relance.useTransaction(trx)
      await relance.merge({ scheduledAt }).save()
      scheduled.push(relance)
    }
  }

  if (scheduled.length > 0) {
    const jobs = scheduled.map(relanceJob)
    afterCommit(trx, 'enqueuing relances', async () => {
      // A moved relance keeps its job id: the old delayed job goes first
      await removeJobs(
        'relances',
        jobs.map((job) => job.opts.jobId)
      )
      await enqueue('relances', jobs)
    })
  }
  return scheduled
}

/**
 * Marks the invoice's waiting relances cancelled in the transaction and
 * removes their jobs after commit.
 */
export async function cancelFutureRelances(invoiceId: number, trx: TransactionClientContract) {
  const cancelled: { id: number }[] = await trx
    .from('relances')
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .update({ status: 'cancelled', updated_at: new Date() }, ['id'])
  if (cancelled.length > 0) {
    afterCommit(trx, 'removing cancelled relance jobs', () =>
      removeJobs(
        'relances',
        cancelled.map(({ id }) => relanceJobId(id))
      )
    )
  }
  return cancelled.length
}
