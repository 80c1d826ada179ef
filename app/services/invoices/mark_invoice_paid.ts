import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import type { PaidVia } from '#models/invoice'
import User from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import { cancelFollowUps } from '#services/invoices/invoice_follow_ups'
import { promiseThankYou } from '#services/invoices/thank_yous'
import { NO_HOLD } from '#services/holds/invoice_holds'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'

const PAYMENT_LABELS: Record<PaidVia, string> = {
  manual: 'marked as paid',
  checkin: 'marked as paid via check-in',
}

/**
 * How many times the invoice has been paid: each payment has one
 * `invoice_paid` event (a reopened invoice may be paid again).
 */
export async function paymentsOf(invoiceId: number, trx: TransactionClientContract) {
  const [{ total }] = await trx
    .from('activity_events')
    .where('invoice_id', invoiceId)
    .where('type', 'invoice_paid')
    .count('* as total')
  return Number(total)
}

/**
 * Appends the payment's `invoice_paid` event, numbered in the same
 * statement from the events before it: one round trip on the hot path of
 * a check-in click. The unique index on the number refuses a second event
 * for the same payment. Returns the payment's number.
 */
async function recordPayment(
  invoice: Invoice,
  via: PaidVia,
  trx: TransactionClientContract
): Promise<number> {
  const { rows } = await trx.rawQuery(
    `INSERT INTO activity_events (user_id, invoice_id, type, label, metadata, created_at)
     SELECT ?, ?, 'invoice_paid', ?, ?::jsonb || jsonb_build_object('paymentNumber', count(*) + 1), ?
     FROM activity_events WHERE invoice_id = ? AND type = 'invoice_paid'
     RETURNING (metadata->>'paymentNumber')::int AS payment_number`,
    [
      invoice.userId,
      invoice.id,
      `Invoice ${invoice.number} ${PAYMENT_LABELS[via]}`,
      JSON.stringify({ via, amountCents: invoice.amountCents, currency: invoice.currency }),
      new Date(),
      invoice.id,
    ]
  )
  return rows[0].payment_number
}

/**
 * Marks an invoice paid, once per payment. The caller has locked the
 * invoice row for its transaction (FOR NO KEY UPDATE), so concurrent calls
 * queue behind the first and find it paid: exactly one rubis and one
 * `invoice_paid` event per payment, numbered (a unique index refuses a
 * second event with the same number). A client who was chased is promised
 * one thank-you for the payment.
 *
 * Returns whether this call is the one that paid it.
 */
export async function markInvoicePaid(
  locked: Invoice,
  { via }: { via: PaidVia },
  trx: TransactionClientContract
): Promise<{ invoice: Invoice; newlyPaid: boolean }> {
  if (locked.status === 'paid') return { invoice: locked, newlyPaid: false }
  if (locked.status === 'cancelled') {
    throw new ConflictException('A cancelled invoice cannot be marked as paid')
  }

  // Paid ends any hold: nothing is left to wait for
  await locked
    .useTransaction(trx)
    .merge({ status: 'paid', paidAt: DateTime.now(), paidVia: via, ...NO_HOLD })
    .save()
  await User.query({ client: trx }).where('id', locked.userId).increment('rubis', 1)
  const paymentNumber = await recordPayment(locked, via, trx)
  await cancelFollowUps(locked.id, trx)
  await promiseThankYou(locked, trx)
  await recordWebhookEvent('invoice.paid', locked.id, { paymentNumber }, trx)
  return { invoice: locked, newlyPaid: true }
}
