import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import { findOwned } from '#support/owned_records'

/**
 * Eager loads for an invoice's JSON: three queries whatever the page size.
 * An invoice keeps its cancelled check-ins: `checkin` is the newest one,
 * passing over cancelled ones (never sent) when another exists: a payment
 * cancels the check-in scheduled before the next relance, and the invoice
 * still shows the check-in that was answered.
 */
function withDetails(query: ModelQueryBuilderContract<typeof Invoice>) {
  return query
    .preload('customer')
    .preload('checkin', (checkins) =>
      checkins.orderByRaw("status = 'cancelled'").orderBy('id', 'desc')
    )
    .preload('relances', (relances) => relances.orderBy('sequence', 'asc'))
}

export function listInvoices(
  userId: number,
  filters: { status?: Invoice['status']; page?: number; perPage?: number }
) {
  return withDetails(Invoice.query().where('user_id', userId))
    .if(filters.status, (query) => query.where('status', filters.status!))
    .orderBy('due_date', 'desc')
    .orderBy('id', 'desc')
    .paginate(filters.page ?? 1, filters.perPage ?? 20)
}

/** The user's invoice with its client, check-in and relances; another user's is a 404. */
export function findInvoiceWithDetails(userId: number, invoiceId: number) {
  return withDetails(Invoice.query().where('user_id', userId)).where('id', invoiceId).firstOrFail()
}

/** The user's invoice locked for update; another user's is a 404. */
export function findInvoiceForUpdate(
  userId: number,
  invoiceId: number,
  trx: TransactionClientContract
) {
  return findOwned(Invoice, userId, invoiceId, trx)
}
