import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import Invoice from '#models/invoice'
import { isoTimestamp } from '#support/iso_timestamps'
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

/** Epoch milliseconds of a timestamp, as the pg driver truncates it to a Date. */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`

/**
 * An invoice's JSON, built by PostgreSQL for `page` (an `invoices` row)
 * joined to `customer`, with the same check-in and relances as
 * withDetails() and the keys of InvoiceTransformer. Timestamps come as
 * epoch milliseconds, written in the process's zone by withIsoTimestamps().
 */
const INVOICE_JSON = `json_build_object(
  'id', page.id, 'number', page.number, 'status', page.status,
  'amountCents', page.amount_cents, 'currency', page.currency,
  'paidAt', ${epochMs('page.paid_at')}, 'paidVia', page.paid_via,
  'issuedAt', to_char(page.issued_at, 'YYYY-MM-DD'), 'dueDate', to_char(page.due_date, 'YYYY-MM-DD'),
  'client', json_build_object('id', customer.id, 'name', customer.name, 'email', customer.email),
  'checkin', (
    SELECT json_build_object(
      'status', task.status, 'answer', task.answer, 'scheduledAt', ${epochMs('task.scheduled_at')},
      'sentAt', ${epochMs('task.sent_at')}, 'answeredAt', ${epochMs('task.answered_at')})
    FROM "checkin_tasks" task WHERE task.invoice_id = page.id
    ORDER BY task.status = 'cancelled', task.id DESC LIMIT 1),
  'relances', coalesce((
    SELECT json_agg(json_build_object(
      'sequence', relance.sequence, 'status', relance.status,
      'scheduledAt', ${epochMs('relance.scheduled_at')}, 'sentAt', ${epochMs('relance.sent_at')})
      ORDER BY relance.sequence)
    FROM "relances" relance WHERE relance.invoice_id = page.id), '[]'))`

type Timestamp = number | null
type InvoiceJson = {
  paidAt: Timestamp | string
  checkin: {
    scheduledAt: Timestamp | string
    sentAt: Timestamp | string
    answeredAt: Timestamp | string
  } | null
  relances: { scheduledAt: Timestamp | string; sentAt: Timestamp | string }[]
}

/** The epoch milliseconds of INVOICE_JSON as a DateTime column serializes them. */
function withIsoTimestamps(invoice: InvoiceJson) {
  invoice.paidAt = isoTimestamp(invoice.paidAt as Timestamp)
  if (invoice.checkin) {
    invoice.checkin.scheduledAt = isoTimestamp(invoice.checkin.scheduledAt as Timestamp)
    invoice.checkin.sentAt = isoTimestamp(invoice.checkin.sentAt as Timestamp)
    invoice.checkin.answeredAt = isoTimestamp(invoice.checkin.answeredAt as Timestamp)
  }
  for (const relance of invoice.relances) {
    relance.scheduledAt = isoTimestamp(relance.scheduledAt as Timestamp)
    relance.sentAt = isoTimestamp(relance.sentAt as Timestamp)
  }
  return invoice
}

/**
 * A page of the user's invoices as the API's JSON (`{data, meta}`), in one
 * statement: the count, the page, and each invoice's client, check-in and
 * relances, the JSON built by PostgreSQL. The hot list of the SPA skips
 * model hydration and the transformers.
 */
export async function listInvoices(
  userId: number,
  filters: { status?: Invoice['status']; page?: number; perPage?: number }
) {
  const page = filters.page ?? 1
  const perPage = filters.perPage ?? 20
  const where = filters.status ? 'user_id = ? AND status = ?' : 'user_id = ?'
  const bindings = filters.status ? [userId, filters.status] : [userId]
  const {
    rows: [{ total, data }],
  } = await db.rawQuery(
    `SELECT (SELECT count(*) FROM "invoices" WHERE ${where})::int AS total,
            coalesce(json_agg(${INVOICE_JSON} ORDER BY page.due_date DESC, page.id DESC), '[]') AS data
     FROM (SELECT * FROM "invoices" WHERE ${where}
           ORDER BY due_date DESC, id DESC LIMIT ? OFFSET ?) page
     JOIN "clients" customer ON customer.id = page.client_id`,
    [...bindings, ...bindings, perPage, (page - 1) * perPage]
  )
  return {
    data: (data as InvoiceJson[]).map(withIsoTimestamps),
    meta: {
      total,
      perPage,
      currentPage: page,
      lastPage: Math.max(1, Math.ceil(total / perPage)),
    },
  }
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
