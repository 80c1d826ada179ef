/*
| The HTTP baseline: a bare node:http + pg server that does what the app's two
| measured routes do, statement for statement, with no framework:
|
|   GET /api/v1/checkin/:token/paid   the request counted against the per-IP
|                                     limit in Redis (bare_rate_limit.ts), one
|                                     transaction with the app's SQL, then the
|                                     same removal of the cancelled relance
|                                     jobs (BullMQ Queue.remove), then the 302
|   GET /api/v1/invoices?page&perPage the access-token check (select, update
|                                     last_used_at, select user), then the
|                                     app's one statement for the count and
|                                     the page's JSON
|   GET /api/v1/stats                 the same token check, then the app's
|                                     one receivables statement
|
| No framework, no validation library, no logger, no ORM. Same database,
| same pool size as Lucid's default (10). Prints `READY {"port":…}`.
*/
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Queue } from 'bullmq'
import { isoTimestamp } from '#support/iso_timestamps'
import { INVOICE_JSON } from '#services/invoices/invoice_json_sql'
import { receivablesFromRows, receivablesStatement } from '#services/invoices/receivables_sql'
import { inTransaction } from './transaction.js'
import { closeRateLimit, withinRateLimit } from './bare_rate_limit.js'
import { authenticate } from './bare_auth.js'
import { numberedPlaceholders, rawPool, rawRedis } from './raw_connections.js'

const env = process.env
const pool = rawPool()
const relances = new Queue('relances', {
  prefix: env.QUEUE_PREFIX,
  connection: rawRedis(1),
})
const webUrl = env.WEB_URL!.replace(/\/+$/, '')
const TOKEN = /^\/api\/v1\/checkin\/([A-Za-z0-9_-]{43})\/paid$/

function redirect(response: ServerResponse, result: string) {
  response.writeHead(302, {
    'location': `${webUrl}/checkin/${result}`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-length': '0',
  })
  response.end()
}

async function checkinPaid(token: string): Promise<string> {
  let cancelledRelances: number[] = []
  let result = 'invalid'
  await inTransaction(pool, async (client) => {
    const hash = createHash('sha256').update(token).digest('hex')
    const {
      rows: [task],
    } = await client.query(
      'select * from "checkin_tasks" where "token_hash" = $1 limit $2 for update',
      [hash, 1]
    )
    const now = new Date()
    if (!task || !task.sent_at || task.status === 'scheduled' || task.status === 'cancelled') {
      result = 'invalid'
    } else if (task.status === 'answered') {
      result = 'already_answered'
    } else if (now.getTime() > task.sent_at.getTime() + 24 * 3600 * 1000) {
      result = 'expired'
    } else {
      const {
        rows: [invoice],
      } = await client.query(
        'select * from "invoices" where "id" = $1 limit $2 for no key update',
        [task.invoice_id, 1]
      )
      if (invoice.status !== 'pending') {
        result = 'already_answered'
        return
      }
      await client.query(
        'update "checkin_tasks" set "status" = $1, "answer" = $2, "answered_at" = $3, "updated_at" = $4 where "id" = $5',
        ['answered', 'paid', now, now, task.id]
      )
      await client.query(
        'update "invoices" set "status" = $1, "paid_at" = $2, "paid_via" = $3, "updated_at" = $4 where "id" = $5',
        ['paid', now, 'checkin', now, invoice.id]
      )
      await client.query(
        `WITH rubis AS (UPDATE users SET rubis = rubis + 1 WHERE id = $7)
         INSERT INTO activity_events (user_id, invoice_id, type, label, metadata, created_at)
         SELECT $1, $2, 'invoice_paid', $3, $4::jsonb || jsonb_build_object('paymentNumber', count(*) + 1), $5
         FROM activity_events WHERE invoice_id = $6 AND type = 'invoice_paid'`,
        [
          invoice.user_id,
          invoice.id,
          `Invoice ${invoice.number} marked as paid via check-in`,
          JSON.stringify({
            via: 'checkin',
            amountCents: Number(invoice.amount_cents),
            currency: invoice.currency,
          }),
          now,
          invoice.id,
          invoice.user_id,
        ]
      )
      const { rows } = await client.query(
        `WITH cancelled_0 AS (UPDATE checkin_tasks SET status = 'cancelled', updated_at = $1
           WHERE invoice_id = ANY($2::int[]) AND status = 'scheduled' RETURNING id),
         cancelled_1 AS (UPDATE relances SET status = 'cancelled', updated_at = $3
           WHERE invoice_id = ANY($4::int[]) AND status = 'scheduled' RETURNING id)
         SELECT 0 AS kind, id FROM cancelled_0 UNION ALL SELECT 1 AS kind, id FROM cancelled_1`,
        [now, [invoice.id], now, [invoice.id]]
      )
      cancelledRelances = rows.filter((row) => row.kind === 1).map((row) => row.id)
      await client.query(
        `INSERT INTO thank_yous (invoice_id, paid_at, status, scheduled_at, created_at, updated_at)
         SELECT $1, $2, 'scheduled', now(), now(), now()
         WHERE EXISTS (SELECT 1 FROM users WHERE id = $3 AND thank_clients_on_payment)
           AND EXISTS (SELECT 1 FROM relances WHERE invoice_id = $4 AND status = 'sent')
         ON CONFLICT (invoice_id, paid_at) DO NOTHING
         RETURNING *`,
        [invoice.id, now, invoice.user_id, invoice.id]
      )
      result = 'paid'
    }
  })
  if (cancelledRelances.length > 0) {
    await Promise.all(cancelledRelances.map((id) => relances.remove(`relance-${id}`)))
  }
  return result
}

async function listInvoices(request: IncomingMessage, response: ServerResponse, url: URL) {
  const user = await authenticate(pool, request.headers.authorization)
  if (!user) {
    response.writeHead(401, { 'content-type': 'application/json' })
    return response.end('{"errors":[{"message":"Unauthorized access"}]}')
  }
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('perPage') ?? 20) || 20))
  // The app's one statement (app/services/invoices/invoice_queries.ts)
  const {
    rows: [{ total, data }],
  } = await pool.query(
    `SELECT (SELECT count(*) FROM "invoices" WHERE user_id = $1)::int AS total,
            coalesce(json_agg(${INVOICE_JSON} ORDER BY page.due_date DESC, page.id DESC), '[]') AS data
     FROM (SELECT * FROM "invoices" WHERE user_id = $2
           ORDER BY due_date DESC, id DESC LIMIT $3 OFFSET $4) page
     JOIN "clients" customer ON customer.id = page.client_id`,
    [user.id, user.id, perPage, (page - 1) * perPage]
  )
  for (const invoice of data) {
    invoice.paidAt = isoTimestamp(invoice.paidAt)
    if (invoice.checkin) {
      invoice.checkin.scheduledAt = isoTimestamp(invoice.checkin.scheduledAt)
      invoice.checkin.sentAt = isoTimestamp(invoice.checkin.sentAt)
      invoice.checkin.answeredAt = isoTimestamp(invoice.checkin.answeredAt)
    }
    for (const relance of invoice.relances) {
      relance.scheduledAt = isoTimestamp(relance.scheduledAt)
      relance.sentAt = isoTimestamp(relance.sentAt)
    }
  }
  const body = {
    data,
    meta: { total, perPage, currentPage: page, lastPage: Math.max(1, Math.ceil(total / perPage)) },
  }
  const json = JSON.stringify(body)
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  })
  response.end(json)
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  })
  response.end(json)
}

/** The user's calendar day, YYYY-MM-DD, as luxon's toISODate() in that zone. */
function todayIn(timeZone: string) {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date())
}

async function stats(request: IncomingMessage, response: ServerResponse) {
  const user = await authenticate(pool, request.headers.authorization)
  if (!user) return sendJson(response, 401, { errors: [{ message: 'Unauthorized access' }] })
  const today = todayIn(user.timezone)
  // The app's one statement (app/services/invoices/receivables_sql.ts)
  const { sql, bindings } = receivablesStatement(
    user as { id: number; timezone: string },
    today,
    new Date()
  )
  const { rows } = await pool.query(numberedPlaceholders(sql), bindings)
  sendJson(response, 200, {
    data: { asOf: today, timezone: user.timezone, currencies: receivablesFromRows(rows) },
  })
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://baseline')
  const handle = async () => {
    const checkin = TOKEN.exec(url.pathname)
    if (request.method === 'GET' && checkin) {
      const perMinute = Number(env.RATE_LIMIT_CHECKIN_PER_MINUTE)
      if (!(await withinRateLimit('checkin', perMinute, request, response))) return
      return redirect(response, await checkinPaid(checkin[1]))
    }
    if (request.method === 'GET' && url.pathname === '/api/v1/invoices') {
      return listInvoices(request, response, url)
    }
    if (request.method === 'GET' && url.pathname === '/api/v1/stats')
      return stats(request, response)
    response.writeHead(404).end()
  }
  handle().catch((error) => {
    console.error(error)
    if (!response.headersSent) response.writeHead(500)
    response.end()
  })
})

server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}`)
})

process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  Promise.all([pool.end(), relances.close(), closeRateLimit()]).finally(() => process.exit(0))
})
