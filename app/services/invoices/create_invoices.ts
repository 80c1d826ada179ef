import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import type User from '#models/user'
import type Client from '#models/client'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { inStatementChunks, mapInSlices } from '#support/time_slices'
import { assertRoomForInvoices } from '#services/accounts/quotas'
import { findOrCreateClients } from '#services/clients/client_directory'
import { scheduleFollowUpsForNewInvoices } from '#services/invoices/invoice_follow_ups'
import { assertNumberIsFree, numberTakenMessage } from '#services/invoices/invoice_numbers'

/**
 * An invoice as `POST /invoices` and a valid import row give it: dates as
 * luxon dates from the API, as the calendar days (YYYY-MM-DD) a draft
 * stores from an import, read by no parser again.
 */
export type NewInvoice = {
  number: string
  clientName: string
  clientEmail: string
  amountCents: number
  currency?: string
  issuedAt?: DateTime | string | null
  dueDate: DateTime | string
}

/** An invoice just created: what its follow-ups and its caller use, not a model. */
export type CreatedInvoice = { id: number; number: string; dueDate: string; client: Client }

const calendarDay = (date: DateTime | string) =>
  typeof date === 'string' ? date : date.toISODate()!

/**
 * Creates pending invoices with set-based statements — their clients in one
 * upsert, the invoices in one INSERT, their check-ins and relances in one
 * INSERT each — and enqueues the follow-up jobs in bulk after commit. A
 * number the user already has is skipped, never overwritten: the result
 * holds the invoices created, each with its client. Past the account's
 * quotas nothing is created (403). The invoices come back as plain values:
 * parsing every column of 10,000 rows and hydrating their models took
 * about 0.4 s of an import's 3 s.
 */
export async function createInvoices(
  user: User,
  details: NewInvoice[],
  trx: TransactionClientContract,
  { importBatchId = null }: { importBatchId?: number | null } = {}
): Promise<CreatedInvoice[]> {
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
    issued_at: invoice.issuedAt ? calendarDay(invoice.issuedAt) : null,
    due_date: calendarDay(invoice.dueDate),
  }))
  // The app's clock, not PostgreSQL's now(): one clock for every time the app compares
  const now = new Date()
  const inserted = await inStatementChunks(rows, async (chunk) => {
    const { rows: returned } = await trx.rawQuery<{
      rows: { id: number; client_id: number; number: string; due_date: string }[]
    }>(
      `INSERT INTO invoices (user_id, client_id, import_batch_id, number, amount_cents, currency,
                             issued_at, due_date, status, created_at, updated_at)
       SELECT ?, client_id, import_batch_id, number, amount_cents, currency, issued_at, due_date,
              'pending', ?::timestamptz, ?::timestamptz
       FROM json_to_recordset(?::json) AS invoice(import_batch_id int, client_id int, number text,
         amount_cents bigint, currency text, issued_at date, due_date date)
       ON CONFLICT (user_id, number) DO NOTHING
       RETURNING id, client_id, number, to_char(due_date, 'YYYY-MM-DD') AS due_date`,
      [user.id, now, now, JSON.stringify(chunk)]
    )
    return returned
  })
  const clientsById = new Map([...clients.values()].map((client) => [client.id, client]))
  const invoices = inserted.map((row): CreatedInvoice => ({
    id: row.id,
    number: row.number,
    dueDate: row.due_date,
    client: clientsById.get(row.client_id)!,
  }))
  await scheduleFollowUpsForNewInvoices(invoices, user, trx)
  return invoices
}

/**
 * One invoice from the API: a taken number is a 409, and the feed says it
 * was created. Returns the invoice's model, its `customer` set.
 */
export async function createInvoice(
  user: User,
  details: NewInvoice,
  trx: TransactionClientContract
) {
  await assertNumberIsFree(user.id, details.number, trx)
  const [created] = await createInvoices(user, [details], trx)
  // Taken by a concurrent request since the check above
  if (!created) throw new ConflictException(numberTakenMessage(details.number))
  await ActivityEvent.record(
    {
      userId: user.id,
      invoiceId: created.id,
      type: 'invoice_created',
      label: `Invoice ${created.number} created for ${created.client.name}`,
    },
    trx
  )
  const invoice = await Invoice.findOrFail(created.id, { client: trx })
  invoice.$setRelated('customer', created.client)
  return invoice
}
