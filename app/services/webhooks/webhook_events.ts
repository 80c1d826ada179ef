import { randomBytes } from 'node:crypto'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { WebhookEventType } from '#models/webhook_endpoint'
import { asShownInvoiceJson, type InvoiceJson } from '#services/invoices/invoice_queries'
import deliverWebhookJob, { webhookJob } from '#jobs/deliver_webhook_job'
import {
  WEBHOOK_INVOICES_SQL,
  WEBHOOK_SUBSCRIBERS_SQL,
} from '#services/webhooks/webhook_subscribers_sql'
import { transactionQuery } from '#support/transaction_statements'

/**
 * The fields each event carries beside `invoice` in its `data` (documented
 * per event in app/openapi/webhooks.ts).
 */
export type WebhookEventFields = {
  /** `paymentNumber`: 1 for the first payment, 2 after a reopen and a new payment… */
  'invoice.paid': { paymentNumber: number }
  /** The payment this undoes. */
  'invoice.reopened': { paymentNumber: number }
  'invoice.cancelled': Record<string, never>
  'checkin.answered': { answer: 'paid' | 'still_pending' }
  'relance.sent': { sequence: number }
  'relance.failed': { sequence: number; reason: string }
  'client.payment_reported': { paidOn: string | null; note: string | null }
  'client.payment_promised': { promisedOn: string }
  'client.disputed': { message: string }
  'client.replied': { excerpt: string }
  'client.email_bounced': { address: string; reason: string }
}

export type WebhookEvent<Type extends WebhookEventType> = {
  invoiceId: number
  fields: WebhookEventFields[Type]
}

/** An event with its type: events of several types can be written at once. */
export type TypedWebhookEvent = {
  [Type in WebhookEventType]: { type: Type } & WebhookEvent<Type>
}[WebhookEventType]

type Subscriber = { invoice_id: number; endpoint_id: number; events: WebhookEventType[] }

/**
 * Writes these events of one type to the outbox, in the transaction of the
 * change they report: one delivery row per subscribed endpoint of each
 * invoice's user, whose job goes to queue `webhooks` after commit (and is
 * rebuilt from the row if Redis loses it). Rolled back with the change.
 * `data` is the invoice as the API returns it at this point of the
 * transaction, plus the event's own fields. One statement when nobody
 * subscribed, three otherwise.
 */
export function recordWebhookEvents<Type extends WebhookEventType>(
  type: Type,
  events: WebhookEvent<Type>[],
  trx: TransactionClientContract
) {
  return recordTypedWebhookEvents(
    events.map((event) => ({ type, ...event }) as TypedWebhookEvent),
    trx
  )
}

/**
 * recordWebhookEvents for events of any types, in their order, with the
 * same statements: a change that is reported twice (a check-in answered
 * paid: checkin.answered and invoice.paid) asks once who subscribed.
 */
export async function recordTypedWebhookEvents(
  events: TypedWebhookEvent[],
  trx: TransactionClientContract
) {
  if (events.length === 0) return
  const { rows: subscribers } = await transactionQuery<Subscriber>(trx, WEBHOOK_SUBSCRIBERS_SQL, [
    [...new Set(events.map((event) => event.type))],
    [...new Set(events.map((event) => event.invoiceId))],
  ])
  if (subscribers.length === 0) return

  const { rows: invoices } = await transactionQuery<{ invoice_id: number; invoice: InvoiceJson }>(
    trx,
    WEBHOOK_INVOICES_SQL,
    [[...new Set(subscribers.map((subscriber) => subscriber.invoice_id))]]
  )
  const invoiceById = new Map(
    invoices.map((row) => [row.invoice_id, asShownInvoiceJson(row.invoice)])
  )
  const endpointsOf = Map.groupBy(subscribers, (subscriber) => subscriber.invoice_id)
  const now = new Date()
  const timestamp = now.toISOString()
  const deliveries = events.flatMap(({ type, invoiceId, fields }) => {
    const invoice = invoiceById.get(invoiceId)
    const endpoints = (endpointsOf.get(invoiceId) ?? []).filter((endpoint) =>
      endpoint.events.includes(type)
    )
    if (!invoice || endpoints.length === 0) return []
    // One message id per event, the same on every attempt (receivers dedupe by it)
    const messageId = `msg_${randomBytes(16).toString('hex')}`
    // A json column keeps this text as written, key order included
    const payload = { type, timestamp, data: { invoice, ...fields } }
    return endpoints.map((endpoint) => ({
      endpoint_id: endpoint.endpoint_id,
      event_type: type,
      message_id: messageId,
      payload,
    }))
  })
  if (deliveries.length === 0) return
  const { rows: inserted } = await transactionQuery<{ id: number; scheduled_at: Date }>(
    trx,
    `INSERT INTO webhook_deliveries
       (endpoint_id, event_type, message_id, payload, scheduled_at, created_at, updated_at)
     SELECT endpoint_id, event_type, message_id, payload, $2, $2, $2
     FROM json_to_recordset($1::json)
       AS row(endpoint_id integer, event_type text, message_id text, payload json)
     RETURNING id, scheduled_at`,
    // The app's clock, not PostgreSQL's now(): one clock for every time the app compares
    [JSON.stringify(deliveries), now]
  )
  deliverWebhookJob.enqueueAfterCommit(
    trx,
    inserted.map((delivery) => webhookJob({ id: delivery.id, scheduledAt: delivery.scheduled_at }))
  )
}

/** One event about one invoice: the one line a use case adds to report a change. */
export function recordWebhookEvent<Type extends WebhookEventType>(
  type: Type,
  invoiceId: number,
  fields: WebhookEventFields[Type],
  trx: TransactionClientContract
) {
  return recordWebhookEvents(type, [{ invoiceId, fields }], trx)
}
