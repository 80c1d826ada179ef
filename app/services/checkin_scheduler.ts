import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import type Invoice from '#models/invoice'
import { generateCheckinToken } from '#services/checkin_token'
import { sendingTimeOn } from '#services/business_calendar'
import { afterCommit, enqueue, removeJobs, type QueuedJob } from '#services/job_queue'

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
export function checkinJob(task: CheckinTask, plainToken: string): QueuedJob<SendCheckinPayload> {
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

/**
 * Cancels the invoice's waiting check-ins in the transaction; their delayed
 * jobs are removed after commit.
 */
export async function cancelCheckinForInvoice(invoiceId: number, trx: TransactionClientContract) {
  const cancelled: { id: number }[] = await trx
    .from('checkin_tasks')
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .update({ status: 'cancelled', updated_at: new Date() }, ['id'])
  if (cancelled.length > 0) {
    afterCommit(trx, 'removing cancelled check-in jobs', () =>
      removeJobs(
        'checkins',
        cancelled.map(({ id }) => checkinJobId(id))
      )
    )
  }
  return cancelled.length
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
  await cancelCheckinForInvoice(invoice.id, trx)
  const token = generateCheckinToken()
  const task = await CheckinTask.create(
    {
      invoiceId: invoice.id,
      tokenHash: token.hashed,
      status: 'scheduled',
      scheduledAt: checkinTimeFor(invoice.dueDate, timezone),
    },
    { client: trx }
  )
  const job = checkinJob(task, token.plain)
  afterCommit(trx, 'enqueuing a check-in', () => enqueue('checkins', [job]))
  return task
}
