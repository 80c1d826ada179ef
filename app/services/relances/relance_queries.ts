import Relance, { type RelanceStatus } from '#models/relance'

/**
 * The user's relances with their invoice and client, in sending order.
 */
export function listRelances(
  userId: number,
  filters: { status?: RelanceStatus; page?: number; perPage?: number }
) {
  return Relance.query()
    .whereIn('invoice_id', (invoices) =>
      invoices.from('invoices').select('id').where('user_id', userId)
    )
    .if(filters.status, (query) => query.where('status', filters.status!))
    .preload('invoice', (invoice) => invoice.preload('customer'))
    .orderBy('scheduled_at', 'asc')
    .orderBy('id', 'asc')
    .paginate(filters.page ?? 1, filters.perPage ?? 20)
}
