import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice, { type PaidVia } from '#models/invoice'
import ConflictException from '#exceptions/conflict_exception'
import { cancelFollowUps } from '#services/invoices/invoice_follow_ups'
import { promiseThankYou } from '#services/invoices/thank_yous'
import { NO_HOLD } from '#services/holds/invoice_holds'
import { recordTypedWebhookEvents, type TypedWebhookEvent } from '#services/webhooks/webhook_events'
import { transactionQuery, updateRowInTransaction } from '#support/transaction_statements'

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

/** What a payment needs of the invoice: a model, or the plain row the check-in click reads. */
export type PayableInvoice = Pick<
  Invoice,
  'id' | 'userId' | 'number' | 'amountCents' | 'currency' | 'status'
> & {
  /**
   * False when the caller read, with the invoice's lock, that its user has
   * no webhook endpoint enabled: nobody to ask who subscribed. An endpoint
   * added meanwhile is as concurrent with the payment as one added just
   * after the look-up would be.
   */
  hasWebhookEndpoints?: boolean
}

/**
 * Earns the freelancer a rubis and appends the payment's `invoice_paid`
 * event, numbered from the events before it, in one statement: one round
 * trip on the hot path of a check-in click. The unique index on the number
 * refuses a second event for the same payment. Returns the payment's number.
 */
async function recordPayment(
  invoice: PayableInvoice,
  via: PaidVia,
  trx: TransactionClientContract
): Promise<number> {
  const { rows } = await transactionQuery<{ payment_number: number }>(
    trx,
    `WITH rubis AS (UPDATE users SET rubis = rubis + 1 WHERE id = $1)
     INSERT INTO activity_events (user_id, invoice_id, type, label, metadata, created_at)
     SELECT $1, $2, 'invoice_paid', $3, $4::jsonb || jsonb_build_object('paymentNumber', count(*) + 1), $5
     FROM activity_events WHERE invoice_id = $2 AND type = 'invoice_paid'
     RETURNING (metadata->>'paymentNumber')::int AS payment_number`,
    [
      invoice.userId,
      invoice.id,
      `Invoice ${invoice.number} ${PAYMENT_LABELS[via]}`,
      JSON.stringify({ via, amountCents: invoice.amountCents, currency: invoice.currency }),
      new Date(),
    ]
  )
  return rows[0].payment_number
}

/** Whether the locked invoice is still to be paid; a cancelled one cannot be. */
function isToBePaid(locked: PayableInvoice) {
  if (locked.status === 'cancelled') {
    throw new ConflictException('A cancelled invoice cannot be marked as paid')
  }
  return locked.status !== 'paid'
}

/** What a payment changes on the invoice. Paid ends any hold: nothing is left to wait for. */
function paymentChanges(via: PaidVia, paidAt: DateTime) {
  return { status: 'paid', paidAt, paidVia: via, ...NO_HOLD } as const
}

/**
 * What follows the invoice's new state in the payment's transaction: the
 * rubis, the numbered event, the follow-ups cancelled, the thank-you
 * promised, the webhook.
 */
async function recordPaymentConsequences(
  invoice: PayableInvoice,
  { paidVia, paidAt }: { paidVia: PaidVia; paidAt: DateTime },
  trx: TransactionClientContract,
  alsoReported: TypedWebhookEvent[] = []
) {
  const paymentNumber = await recordPayment(invoice, paidVia, trx)
  await cancelFollowUps(invoice.id, trx)
  await promiseThankYou({ id: invoice.id, userId: invoice.userId, paidAt }, trx)
  if (invoice.hasWebhookEndpoints === false) return
  await recordTypedWebhookEvents(
    [{ type: 'invoice.paid', invoiceId: invoice.id, fields: { paymentNumber } }, ...alsoReported],
    trx
  )
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
  if (!isToBePaid(locked)) return { invoice: locked, newlyPaid: false }
  const changes = paymentChanges(via, DateTime.now())
  await locked.useTransaction(trx).merge(changes).save()
  await recordPaymentConsequences(locked, changes, trx)
  return { invoice: locked, newlyPaid: true }
}

/**
 * markInvoicePaid on the invoice's plain row, locked by the caller, with
 * the same changes written by one UPDATE: the check-in click's path, which
 * hydrates no model. `alsoReported`: the caller's own webhook events,
 * written with invoice.paid (one statement asks who subscribed). Returns
 * whether this call is the one that paid it.
 */
export async function markInvoiceRowPaid(
  locked: PayableInvoice,
  { via, alsoReported }: { via: PaidVia; alsoReported?: TypedWebhookEvent[] },
  trx: TransactionClientContract
): Promise<boolean> {
  if (!isToBePaid(locked)) return false
  const changes = paymentChanges(via, DateTime.now())
  await updateRowInTransaction(trx, Invoice.table, locked.id, Invoice.savedColumns(changes))
  await recordPaymentConsequences(locked, changes, trx, alsoReported)
  return true
}
