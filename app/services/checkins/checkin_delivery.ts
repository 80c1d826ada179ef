import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { lockOwnerOf } from '#support/row_locks'
import { hashCheckinToken, rotateCheckinTokens } from '#services/checkins/checkin_token'
import { scheduleCheckinsBeforeNextRelance } from '#services/checkins/checkin_scheduler'
import { sendCheckinEmail } from '#mails/mail_dispatcher'

export type DeliveryOutcome = 'sent' | 'skipped'

/** Check-ins falling due within this window after a job's go out in its email. */
export const DIGEST_WINDOW_MS = 60_000
/** The most invoices one email lists; the rest go in the next one. */
export const DIGEST_LIMIT = 50

/**
 * Locks the row of the user the task belongs to: the user's deliveries run
 * one at a time, so two jobs never gather the same tasks. NO KEY UPDATE
 * still lets other transactions insert invoices and events of the user.
 */
const lockTaskOwner = (taskId: number, trx: TransactionClientContract) =>
  lockOwnerOf('users', { table: 'checkin_tasks', id: taskId }, trx)

/**
 * The user's other check-ins due within the window, oldest first, locked,
 * each with a fresh token: their own jobs then find a foreign hash and
 * send nothing, and their plain tokens never leave this email.
 */
async function dueCompanions(
  task: CheckinTask,
  tokens: Map<number, string>,
  trx: TransactionClientContract
) {
  const others = await CheckinTask.query({ client: trx })
    .whereNot('id', task.id)
    .where('status', 'scheduled')
    .where('scheduled_at', '<=', DateTime.now().plus({ milliseconds: DIGEST_WINDOW_MS }).toJSDate())
    .whereHas('invoice', (invoice) =>
      invoice.where('user_id', task.invoice.userId).where('status', 'pending')
    )
    .preload('invoice', (invoice) => invoice.preload('user').preload('customer'))
    .orderBy('scheduled_at', 'asc')
    .orderBy('id', 'asc')
    .limit(DIGEST_LIMIT - 1)
    .forUpdate()
  const fresh = await rotateCheckinTokens(
    others.map((other) => other.id),
    trx
  )
  for (const [id, plain] of fresh) tokens.set(id, plain)
  // Their delayed jobs have nothing left to do
  sendCheckinJob.removeAfterCommit(trx, [...fresh.keys()])
  return others.filter((other) => fresh.has(other.id))
}

/**
 * Sends the freelancer one check-in email for this task and every other of
 * theirs due within the next minute: one invoice reads as a single
 * check-in, several as a digest, each with the links of its own task. The
 * job's task uses the job's token; all become `sent` together.
 */
export function deliverCheckin(taskId: number, plainToken: string): Promise<DeliveryOutcome> {
  const tokens = new Map([[taskId, plainToken]])
  return deliverScheduledRow({
    model: CheckinTask,
    id: taskId,
    lockFirst: lockTaskOwner,
    // A rotated token (reconciler, another job's digest) or a stale payload must not send old links
    hold: async (task) => (hashCheckinToken(plainToken) !== task.tokenHash ? 'skipped' : null),
    companions: (task, trx) => dueCompanions(task, tokens, trx),
    send: (task, companions) => {
      const oldestFirst = [task, ...companions].sort(
        (a, b) => a.scheduledAt.toMillis() - b.scheduledAt.toMillis() || a.id - b.id
      )
      return sendCheckinEmail({
        user: task.invoice.user,
        checkins: oldestFirst.map(({ id, invoice }) => ({
          invoice,
          client: invoice.customer,
          plainToken: tokens.get(id)!,
        })),
      })
    },
    // The invoice's next check-in, before its next relance, now that this one is out
    afterSent: (tasks, trx) =>
      scheduleCheckinsBeforeNextRelance(
        tasks.map((task) => task.invoiceId),
        trx
      ),
    sentEvent: ({ invoice }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'checkin_sent',
      label: `Check-in email sent for invoice ${invoice.number}`,
    }),
  })
}
