import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import Invoice from '#models/invoice'

/**
 * Eager loads for an invoice's JSON: three queries whatever the page size.
 * An invoice keeps its cancelled check-ins: `checkin` is the newest one.
 */
function withDetails(query: ModelQueryBuilderContract<typeof Invoice>) {
  return query
    .preload('customer')
    .preload('checkin', (checkins) => checkins.orderBy('id', 'desc'))
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
