import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { cancelFollowUps } from '#services/invoices/invoice_follow_ups'
import { NO_HOLD } from '#services/holds/invoice_holds'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'

/** Cancels a pending invoice and everything that would follow it (again: no-op). */
export async function cancelInvoice(invoice: Invoice, trx: TransactionClientContract) {
  if (invoice.status === 'cancelled') return invoice
  if (invoice.status === 'paid') throw new ConflictException('A paid invoice cannot be cancelled')
  await invoice
    .useTransaction(trx)
    .merge({ status: 'cancelled', ...NO_HOLD })
    .save()
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'invoice_cancelled',
      label: `Invoice ${invoice.number} cancelled`,
    },
    trx
  )
  await cancelFollowUps(invoice.id, trx)
  await recordWebhookEvent('invoice.cancelled', invoice.id, {}, trx)
  return invoice
}
