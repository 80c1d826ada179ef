import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import { recordActivity } from '#services/activity_log'
import { hashCheckinToken } from '#services/checkin_token'
import { sendCheckinEmail } from '#services/mail_dispatcher'

export type DeliveryOutcome = 'sent' | 'skipped'

export function checkinUrls(plainToken: string) {
  const base = `${env.get('APP_URL').replace(/\/+$/, '')}/api/v1/checkin/${plainToken}`
  return { paidUrl: `${base}/paid`, pendingUrl: `${base}/pending` }
}

/**
 * Sends a task's check-in email, at most once per successful commit. The task
 * row stays locked while the email goes out: a second worker holding the
 * same job waits, then finds the task `sent`. A crash between the SMTP
 * answer and the commit is the one window in which the email can go twice.
 */
export async function deliverCheckin(taskId: number, plainToken: string): Promise<DeliveryOutcome> {
  return db.transaction(async (trx) => {
    const task = await CheckinTask.query({ client: trx })
      .where('id', taskId)
      .preload('invoice', (invoice) => invoice.preload('user').preload('customer'))
      .forUpdate()
      .first()
    if (!task || task.status !== 'scheduled') return 'skipped'
    if (task.invoice.status !== 'pending') return 'skipped'
    // A rotated token (reconciler) or a stale payload must not send old links
    if (hashCheckinToken(plainToken) !== task.tokenHash) return 'skipped'

    const { invoice } = task
    await sendCheckinEmail({
      user: invoice.user,
      invoice,
      client: invoice.customer,
      ...checkinUrls(plainToken),
    })

    await task.useTransaction(trx).merge({ status: 'sent', sentAt: DateTime.now() }).save()
    await recordActivity(
      {
        userId: invoice.userId,
        invoiceId: invoice.id,
        type: 'checkin_sent',
        label: `Check-in email sent for invoice ${invoice.number}`,
      },
      trx
    )
    return 'sent'
  })
}
