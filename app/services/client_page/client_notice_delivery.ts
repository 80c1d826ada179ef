import ClientNotice from '#models/client_notice'
import { deliverScheduledRow, markScheduledRowFailed } from '#support/scheduled_delivery'
import { sendClientNoticeEmail } from '#mails/mail_dispatcher'

/**
 * Sends the freelancer the notice of what a client said or what came back
 * from its address, once: a promise or a dispute while the invoice is
 * still pending, a reply or a bounce in any case.
 */
export function deliverClientNotice(noticeId: number) {
  return deliverScheduledRow({
    model: ClientNotice,
    id: noticeId,
    wanted: (notice) => !notice.wantsPendingInvoice || notice.invoice.isPending,
    send: (notice) =>
      sendClientNoticeEmail({
        user: notice.invoice.user,
        invoice: notice.invoice,
        client: notice.invoice.customer,
        notice,
      }),
    sentEvent: ({ invoice, kind }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'client_notice_sent',
      label: `Notice of ${invoice.customer.name}'s ${kind} about invoice ${invoice.number} sent to you`,
      metadata: { kind },
    }),
  })
}

/** After its last attempt a notice is `failed`, with the reason. */
export function markClientNoticeFailed(noticeId: number, reason: string) {
  return markScheduledRowFailed(ClientNotice, noticeId, reason)
}
