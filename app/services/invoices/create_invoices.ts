import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import type User from '#models/user'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { modelsFromRows } from '#support/bulk_rows'
import { mapInSlices } from '#support/time_slices'
import { assertRoomForInvoices } from '#services/accounts/quotas'
import { findOrCreateClients } from '#services/clients/client_directory'
import { scheduleFollowUpsForNewInvoices } from '#services/invoices/invoice_follow_ups'
import { assertNumberIsFree, numberTakenMessage } from '#services/invoices/invoice_numbers'

/** An invoice as `POST /invoices` and a valid import row give it. */
export type NewInvoice = {
  number: string
  clientName: string
  clientEmail: string
  amountCents: number
  currency?: string
  issuedAt?: DateTime
  dueDate: DateTime
}

/**
 * Creates pending invoices with set-based statements — their clients in one
 * upsert, the invoices in one INSERT, their check-ins and relances in one
 * INSERT each — and enqueues the follow-up jobs in bulk after commit. A
 * number the user already has is skipped, never overwritten: the result
 * holds the invoices created, each with its `customer` set. Past the
 * account's quotas nothing is created (403).
 */
export async function createInvoices(
  user: User,
  details: NewInvoice[],
  trx: TransactionClientContract,
  { importBatchId = null }: { importBatchId?: number | null } = {}
): Promise<Invoice[]> {
  if (details.length === 0) return []
  await assertRoomForInvoices(user, details.length, trx)
  const clients = await findOrCreateClients(
    user,
    details.map((invoice) => ({ name: invoice.clientName, email: invoice.clientEmail })),
    trx
  )
  const rows = await mapInSlices(details, (invoice) => ({
    import_batch_id: importBatchId,
    client_id: clients.get(invoice.clientEmail.toLowerCase())!.id,
    number: invoice.number,
    amount_cents: invoice.amountCents,
    currency: invoice.currency ?? 'EUR',
    issued_at: invoice.issuedAt?.toISODate() ?? null,
    due_date: invoice.dueDate.toISODate(),
  }))
  // The app's clock, not PostgreSQL's now(): one clock for every time the app compares
  const now = new Date()
  const { rows: inserted } = await trx.rawQuery(
    `INSERT INTO invoices (user_id, client_id, import_batch_id, number, amount_cents, currency,
                           issued_at, due_date, status, created_at, updated_at)
     SELECT ?, client_id, import_batch_id, number, amount_cents, currency, issued_at, due_date,
            'pending', ?::timestamptz, ?::timestamptz
     FROM json_to_recordset(?::json) AS invoice(import_batch_id int, client_id int, number text,
       amount_cents bigint, currency text, issued_at date, due_date date)
     ON CONFLICT (user_id, number) DO NOTHING
     RETURNING *`,
    [user.id, now, now, JSON.stringify(rows)]
  )
  const invoices = await modelsFromRows(Invoice, inserted)
  const clientsById = new Map([...clients.values()].map((client) => [client.id, client]))
  for (const invoice of invoices) {
    invoice.$setRelated('customer', clientsById.get(invoice.clientId)!)
  }
  await scheduleFollowUpsForNewInvoices(invoices, user, trx)
  return invoices
}

/** One invoice from the API: a taken number is a 409, and the feed says it was created. */
export async function createInvoice(
  user: User,
  details: NewInvoice,
  trx: TransactionClientContract
) {
  await assertNumberIsFree(user.id, details.number, trx)
  const [invoice] = await createInvoices(user, [details], trx)
  // Taken by a concurrent request since the check above
  if (!invoice) throw new ConflictException(numberTakenMessage(details.number))
  await ActivityEvent.record(
    {
      userId: user.id,
      invoiceId: invoice.id,
      type: 'invoice_created',
      label: `Invoice ${invoice.number} created for ${invoice.customer.name}`,
    },
    trx
  )
  return invoice
}
