import { DateTime } from 'luxon'
import env from '#start/env'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ThankYou from '#models/thank_you'
import ActivityEvent from '#models/activity_event'
import { deliverScheduledRow, markScheduledRowFailed } from '#support/scheduled_delivery'
import { clientEmailCapFreesAt, lockSenderOf } from '#services/relances/sending_cap'
import { sendThankYouEmail } from '#mails/mail_dispatcher'

/** A client is thanked at most once in this window, whatever the invoices paid. */
const ONE_THANK_YOU_PER_CLIENT = { hours: 24 }

/** Whether the thank-you's client got one in the last 24 hours. */
async function clientThankedRecently(thankYou: ThankYou, trx: TransactionClientContract) {
  const { rows } = await trx.rawQuery(
    `SELECT 1 FROM thank_yous JOIN invoices ON invoices.id = thank_yous.invoice_id
     WHERE invoices.client_id = ? AND thank_yous.status = 'sent' AND thank_yous.sent_at > ?
     LIMIT 1`,
    [thankYou.invoice.clientId, DateTime.now().minus(ONE_THANK_YOU_PER_CLIENT).toJSDate()]
  )
  return rows.length > 0
}

/**
 * Why this thank-you must not go: its client was thanked in the last 24
 * hours (for another invoice), or the user's emails to clients reached the
 * daily cap, which thank-yous count in. Null when it may go.
 */
async function reasonToSkip(thankYou: ThankYou, trx: TransactionClientContract) {
  if (await clientThankedRecently(thankYou, trx)) {
    return 'the client was already thanked in the last 24 hours'
  }
  if (await clientEmailCapFreesAt(thankYou.invoice.userId, trx)) {
    return `the limit of ${env.get('MAX_CLIENT_EMAILS_PER_DAY', 200)} emails to clients a day is reached`
  }
  return null
}

/**
 * Sends the client's thank-you, once, if the invoice is still paid by that
 * payment and the user still wants clients thanked. A thank-you that would
 * thank a client twice in a day, or pass the daily cap, is dropped (it is
 * a courtesy, never worth a flood), and the user's feed says why.
 */
export function deliverThankYou(thankYouId: number) {
  return deliverScheduledRow({
    model: ThankYou,
    id: thankYouId,
    lockFirst: (id, trx) => lockSenderOf({ table: 'thank_yous', id }, trx),
    wanted: (thankYou) =>
      thankYou.thanksFor(thankYou.invoice) && thankYou.invoice.user.thankClientsOnPayment,
    async hold(thankYou, trx) {
      const reason = await reasonToSkip(thankYou, trx)
      if (!reason) return null
      const { invoice } = thankYou
      await thankYou.useTransaction(trx).merge({ status: 'cancelled' }).save()
      await ActivityEvent.record(
        {
          userId: invoice.userId,
          invoiceId: invoice.id,
          type: 'thank_you_skipped',
          label: `No thank-you sent to ${invoice.customer.name} for invoice ${invoice.number}: ${reason}`,
        },
        trx
      )
      return 'skipped' as const
    },
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
