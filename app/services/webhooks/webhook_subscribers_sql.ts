import { INVOICE_JSON } from '#services/invoices/invoice_json_sql'

/*
| Who subscribed to events of some invoices, with each invoice as the
| payload shows it. Plain SQL, so the benchmarks' framework-free servers run
| the very same statement. $1: the event types, $2: the invoice ids.
*/
export const WEBHOOK_SUBSCRIBERS_SQL = `SELECT page.id AS invoice_id, endpoints.list AS endpoints, ${INVOICE_JSON} AS invoice
     FROM invoices page
     JOIN clients customer ON customer.id = page.client_id
     CROSS JOIN LATERAL (
       SELECT json_agg(json_build_object('id', endpoint.id, 'events', endpoint.events)
                       ORDER BY endpoint.id) AS list
       FROM webhook_endpoints endpoint
       WHERE endpoint.user_id = page.user_id AND endpoint.disabled_at IS NULL
         AND endpoint.events && $1::text[]
     ) endpoints
     WHERE page.id = ANY($2::int[]) AND endpoints.list IS NOT NULL`
