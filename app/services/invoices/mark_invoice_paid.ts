import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice, { type PaidVia } from '#models/invoice'
import User from '#models/user'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { forNoKeyUpdate } from '#support/row_locks'
import { cancelFollowUps } from '#services/invoices/invoice_follow_ups'
import { promiseThankYou } from '#services/invoices/thank_yous'

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
 * Marks an invoice paid, once per payment. The invoice row is locked for the
 * transaction, so concurrent calls queue behind the first and find it paid:
 * exactly one rubis and one `invoice_paid` event per payment, numbered (a
 * unique index refuses a second event with the same number). A client who
 * was chased is promised one thank-you for the payment.
 *
 * Returns whether this call is the one that paid it.
 */
export async function markInvoicePaid(
  invoice: Pick<Invoice, 'id'>,
  { via }: { via: PaidVia },
  trx: TransactionClientContract
): Promise<{ invoice: Invoice; newlyPaid: boolean }> {
  const locked = await forNoKeyUpdate(
    Invoice.query({ client: trx }).where('id', invoice.id)
  ).firstOrFail()
  if (locked.status === 'paid') return { invoice: locked, newlyPaid: false }
  if (locked.status === 'cancelled') {
    throw new ConflictException('A cancelled invoice cannot be marked as paid')
  }

  await locked.merge({ status: 'paid', paidAt: DateTime.now(), paidVia: via }).save()
  await User.query({ client: trx }).where('id', locked.userId).increment('rubis', 1)
  await ActivityEvent.record(
    {
      userId: locked.userId,
      invoiceId: locked.id,
      type: 'invoice_paid',
      label: `Invoice ${locked.number} ${PAYMENT_LABELS[via]}`,
      metadata: {
        via,
        amountCents: locked.amountCents,
        currency: locked.currency,
        paymentNumber: (await paymentsOf(locked.id, trx)) + 1,
      },
    },
    trx
  )
  await cancelFollowUps(locked.id, trx)
  await promiseThankYou(locked, trx)
  return { invoice: locked, newlyPaid: true }
}
