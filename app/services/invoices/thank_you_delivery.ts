import ThankYou from '#models/thank_you'
import { deliverScheduledRow, markScheduledRowFailed } from '#support/scheduled_delivery'
import { sendThankYouEmail } from '#mails/mail_dispatcher'

/**
 * Sends the client's thank-you, once, if the invoice is still paid by that
 * payment and the user still wants clients thanked.
 */
export function deliverThankYou(thankYouId: number) {
  return deliverScheduledRow({
    model: ThankYou,
    id: thankYouId,
    wanted: (thankYou) =>
      thankYou.thanksFor(thankYou.invoice) && thankYou.invoice.user.thankClientsOnPayment,
    send: ({ invoice }) =>
      sendThankYouEmail({ user: invoice.user, invoice, client: invoice.customer }),
    sentEvent: ({ invoice }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'thank_you_sent',
      label: `Thank-you sent to ${invoice.customer.name} for invoice ${invoice.number}`,
    }),
  })
}

/** After its last attempt a thank-you is `failed`, with the reason. */
export function markThankYouFailed(thankYouId: number, reason: string) {
  return markScheduledRowFailed(ThankYou, thankYouId, reason)
}
