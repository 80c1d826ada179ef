import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import User from '#models/user'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { resumeFollowUps } from '#services/invoices/invoice_follow_ups'
import { paymentsOf } from '#services/invoices/mark_invoice_paid'
import { NO_HOLD } from '#services/holds/invoice_holds'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'
import { withdrawThankYou } from '#services/invoices/thank_yous'
import { assertRoomForInvoices } from '#services/accounts/quotas'

/**
 * Undoes a payment (a wrong "paid" click): the invoice, locked by the
 * caller, is pending again, its rubis is taken back (never below zero), and
 * its follow-ups resume. Paying it again counts again. Pending again, it
 * counts against the account's caps as a new invoice does (403 past them).
 */
export async function reopenInvoice(user: User, invoice: Invoice, trx: TransactionClientContract) {
  if (invoice.status !== 'paid') throw new ConflictException('Only a paid invoice can be reopened')
  await assertRoomForInvoices(user, 1, trx, { created: false })
  await invoice
    .useTransaction(trx)
    .merge({ status: 'pending', paidAt: null, paidVia: null, ...NO_HOLD })
    .save()
  await User.query({ client: trx })
    .where('id', invoice.userId)
    .where('rubis', '>', 0)
    .decrement('rubis', 1)
  const paymentNumber = await paymentsOf(invoice.id, trx)
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'invoice_reopened',
      label: `Invoice ${invoice.number} reopened: not paid after all`,
      metadata: { paymentNumber },
    },
    trx
  )
  await withdrawThankYou(invoice.id, trx)
  await resumeFollowUps(invoice, user, trx)
  await recordWebhookEvent('invoice.reopened', invoice.id, { paymentNumber }, trx)
  return invoice
}
