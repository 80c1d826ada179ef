import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import type User from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import { recordActivity } from '#services/activity_log'
import { findOrCreateClients } from '#services/client_directory'
import { modelsFromRows } from '#services/bulk_rows'
import { findOwned } from '#services/owned_records'
import {
  cancelCheckinForInvoice,
  scheduleCheckinForInvoice,
  scheduleCheckinsForInvoices,
} from '#services/checkin_scheduler'
import {
  cancelFutureRelances,
  scheduleRelancesForInvoice,
  scheduleRelancesForNewInvoices,
} from '#services/relance_scheduler'

export type NewInvoice = {
  number: string
  clientName: string
  clientEmail: string
  amountCents: number
  currency?: string
  issuedAt?: DateTime
  dueDate: DateTime
}

export type InvoiceChanges = {
  number?: string
  amountCents?: number
  currency?: string
  issuedAt?: DateTime | null
  dueDate?: DateTime
}

/** The refusal of a number the user already has, for the API and for import rows alike. */
export const numberTakenMessage = (number: string) => `Invoice number ${number} already exists`

async function assertNumberIsFree(
  userId: number,
  number: string,
  trx: TransactionClientContract,
  exceptId?: number
) {
  const taken = await Invoice.query({ client: trx })
    .where('user_id', userId)
    .where('number', number)
    .if(exceptId, (query) => query.whereNot('id', exceptId!))
    .first()
  if (taken) throw new ConflictException(numberTakenMessage(number))
}

/**
 * Stops what follows an invoice that is no longer pending: its waiting
 * check-in and relances, in the transaction; their jobs go after commit.
 */
export async function cancelFollowUps(invoiceId: number, trx: TransactionClientContract) {
  await cancelCheckinForInvoice(invoiceId, trx)
  await cancelFutureRelances(invoiceId, trx)
}

/**
 * Schedules what follows a pending invoice: its check-in and its relances.
 */
async function scheduleFollowUps(invoice: Invoice, user: User, trx: TransactionClientContract) {
  await invoice.load('customer')
  await scheduleCheckinForInvoice(invoice, user.timezone, trx)
  await scheduleRelancesForInvoice(
    invoice,
    {
      offsets: user.relanceOffsets,
      timezone: user.timezone,
      pausedUntil: invoice.customer.remindersPausedUntil,
    },
    trx
  )
}

/**
 * Creates pending invoices with set-based statements — their clients in one
 * upsert, the invoices in one INSERT, their check-ins and relances in one
 * INSERT each — and enqueues the follow-up jobs in bulk after commit. A
 * number the user already has is skipped, never overwritten: the result
 * holds the invoices created, each with its `customer` set.
 */
export async function createInvoices(
  user: User,
  details: NewInvoice[],
  trx: TransactionClientContract,
  { importBatchId = null }: { importBatchId?: number | null } = {}
): Promise<Invoice[]> {
  if (details.length === 0) return []
  const clients = await findOrCreateClients(
    user.id,
    details.map((invoice) => ({ name: invoice.clientName, email: invoice.clientEmail })),
    trx
  )
  const rows = details.map((invoice) => ({
    import_batch_id: importBatchId,
    client_id: clients.get(invoice.clientEmail.toLowerCase())!.id,
    number: invoice.number,
    amount_cents: invoice.amountCents,
    currency: invoice.currency ?? 'EUR',
    issued_at: invoice.issuedAt?.toISODate() ?? null,
    due_date: invoice.dueDate.toISODate(),
  }))
  const { rows: inserted } = await trx.rawQuery(
    `INSERT INTO invoices (user_id, client_id, import_batch_id, number, amount_cents, currency,
                           issued_at, due_date, status, created_at, updated_at)
     SELECT ?, client_id, import_batch_id, number, amount_cents, currency, issued_at, due_date,
            'pending', now(), now()
     FROM json_to_recordset(?::json) AS invoice(import_batch_id int, client_id int, number text,
       amount_cents bigint, currency text, issued_at date, due_date date)
     ON CONFLICT (user_id, number) DO NOTHING
     RETURNING *`,
    [user.id, JSON.stringify(rows)]
  )
  const invoices = modelsFromRows(Invoice, inserted)
  const clientsById = new Map([...clients.values()].map((client) => [client.id, client]))
  for (const invoice of invoices) {
    invoice.$setRelated('customer', clientsById.get(invoice.clientId)!)
  }

  await scheduleCheckinsForInvoices(invoices, user.timezone, trx)
  await scheduleRelancesForNewInvoices(
    invoices.map((invoice) => ({
      id: invoice.id,
      dueDate: invoice.dueDate,
      pausedUntil: invoice.customer.remindersPausedUntil,
    })),
    { offsets: user.relanceOffsets, timezone: user.timezone },
    trx
  )
  return invoices
}

export async function createInvoice(
  user: User,
  details: NewInvoice,
  trx: TransactionClientContract
) {
  await assertNumberIsFree(user.id, details.number, trx)
  const [invoice] = await createInvoices(user, [details], trx)
  // Taken by a concurrent request since the check above
  if (!invoice) throw new ConflictException(numberTakenMessage(details.number))
  await recordActivity(
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

/**
 * Loads the user's invoice locked for update; another user's is a 404.
 */
export function findInvoiceForUpdate(
  userId: number,
  invoiceId: number,
  trx: TransactionClientContract
) {
  return findOwned(Invoice, userId, invoiceId, trx)
}

export async function updateInvoice(
  user: User,
  invoice: Invoice,
  changes: InvoiceChanges,
  trx: TransactionClientContract
) {
  if (changes.number !== undefined && changes.number !== invoice.number) {
    await assertNumberIsFree(user.id, changes.number, trx, invoice.id)
  }
  const dueDateChanged =
    changes.dueDate !== undefined && changes.dueDate.toISODate() !== invoice.dueDate.toISODate()
  invoice.useTransaction(trx)
  await invoice.merge(changes).save()
  if (dueDateChanged && invoice.status === 'pending') {
    await scheduleFollowUps(invoice, user, trx)
  }
  return invoice
}

export async function cancelInvoice(invoice: Invoice, trx: TransactionClientContract) {
  if (invoice.status === 'cancelled') return invoice
  if (invoice.status === 'paid') throw new ConflictException('A paid invoice cannot be cancelled')
  invoice.useTransaction(trx)
  await invoice.merge({ status: 'cancelled' }).save()
  await recordActivity(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'invoice_cancelled',
      label: `Invoice ${invoice.number} cancelled`,
    },
    trx
  )
  await cancelFollowUps(invoice.id, trx)
  return invoice
}
