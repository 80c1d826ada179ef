import type { ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import Invoice, { type HoldReason } from '#models/invoice'
import { isoTimestamp } from '#support/iso_timestamps'
import { findOwned } from '#support/owned_records'
import { INVOICE_JSON } from '#services/invoices/invoice_json_sql'

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

type Timestamp = number | null
/** An invoice as INVOICE_JSON builds it: timestamps as epoch milliseconds until converted. */
export type InvoiceJson = {
  paidAt: Timestamp | string
  hold: {
    reason: HoldReason
    since: Timestamp | string
    until: Timestamp | string
    note: string | null
  } | null
  document: { uploadedAt: Timestamp | string } | null
  checkin: {
    scheduledAt: Timestamp | string
    sentAt: Timestamp | string
    answeredAt: Timestamp | string
  } | null
  relances: { scheduledAt: Timestamp | string; sentAt: Timestamp | string }[]
}

/**
 * INVOICE_JSON as the API shows it: its epoch milliseconds as a DateTime
 * column serializes them, its hold only while the model calls it active.
 */
export function asShownInvoiceJson(invoice: InvoiceJson) {
  invoice.paidAt = isoTimestamp(invoice.paidAt as Timestamp)
  if (invoice.hold) {
    const { reason, since, until, note } = invoice.hold
    const active = Invoice.activeHold(
      {
        holdReason: reason,
        heldAt: since as number,
        holdUntil: until as Timestamp,
        holdNote: note,
      },
      Date.now()
    )
    invoice.hold = active && {
      ...active,
      since: isoTimestamp(active.since),
      until: isoTimestamp(active.until),
    }
  }
  if (invoice.document) {
    invoice.document.uploadedAt = isoTimestamp(invoice.document.uploadedAt as Timestamp)
  }
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
    data: (data as InvoiceJson[]).map(asShownInvoiceJson),
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
