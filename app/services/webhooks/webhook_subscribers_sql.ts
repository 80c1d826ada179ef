import { INVOICE_JSON } from '#services/invoices/invoice_json_sql'

/*
| Who subscribed to events of some invoices, then, only when someone did,
| those invoices as the payload shows them. Two statements rather than one:
| the invoice's JSON (a check-in and relances subquery, a dozen nested
| builders) cost PostgreSQL about half a millisecond to plan on every call,
| most often to find that nobody subscribed. Plain SQL, so the benchmarks'
| framework-free servers run the very same statements.
*/

/**
 * Whether the user in `userColumn` has a webhook endpoint enabled: a
 * statement that reads the user's invoice anyway (the check-in click's
 * lock) learns for free whether there is anyone to ask.
 */
export const hasWebhookEndpointsSql = (userColumn: string) =>
  `EXISTS (SELECT 1 FROM webhook_endpoints endpoint
     WHERE endpoint.user_id = ${userColumn} AND endpoint.disabled_at IS NULL)`

/** $1: the event types, $2: the invoice ids. One row per invoice and endpoint, by endpoint id. */
export const WEBHOOK_SUBSCRIBERS_SQL = `SELECT invoice.id AS invoice_id, endpoint.id AS endpoint_id, endpoint.events
     FROM invoices invoice
     JOIN webhook_endpoints endpoint ON endpoint.user_id = invoice.user_id
     WHERE invoice.id = ANY($2::int[]) AND endpoint.disabled_at IS NULL
       AND endpoint.events && $1::text[]
     ORDER BY endpoint.id`

/** $1: the invoice ids. Each invoice as the payload shows it. */
export const WEBHOOK_INVOICES_SQL = `SELECT page.id AS invoice_id, ${INVOICE_JSON} AS invoice
     FROM invoices page
     JOIN clients customer ON customer.id = page.client_id
     WHERE page.id = ANY($1::int[])`
