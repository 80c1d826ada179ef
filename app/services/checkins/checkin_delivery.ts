import CheckinTask from '#models/checkin_task'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { sendCheckinEmail } from '#mails/mail_dispatcher'

export type DeliveryOutcome = 'sent' | 'skipped'

/**
 * Sends a task's check-in email to the freelancer, once, with the links of
 * the job's token.
 */
export function deliverCheckin(taskId: number, plainToken: string): Promise<DeliveryOutcome> {
  return deliverScheduledRow({
    model: CheckinTask,
    id: taskId,
    // A rotated token (reconciler) or a stale payload must not send old links
    hold: async (task) => (hashCheckinToken(plainToken) !== task.tokenHash ? 'skipped' : null),
    send: ({ invoice }) =>
      sendCheckinEmail({ user: invoice.user, invoice, client: invoice.customer, plainToken }),
    sentEvent: ({ invoice }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'checkin_sent',
      label: `Check-in email sent for invoice ${invoice.number}`,
    }),
  })
}
