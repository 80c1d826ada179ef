/*
| The HTTP baseline: a bare node:http + pg server that does what the app's two
| measured routes do, statement for statement, with no framework:
|
|   GET /api/v1/checkin/:token/paid   one transaction with the app's SQL, then
|                                     the same removal of the cancelled relance
|                                     jobs (BullMQ Queue.remove), then the 302
|   GET /api/v1/invoices?page&perPage the access-token check (select, update
|                                     last_used_at, select user), the page,
|                                     its count and the three eager loads
|
| No rate limiter, no validation library, no logger, no ORM. Same database,
| same pool size as Lucid's default (10). Prints `READY {"port":…}`.
*/
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Queue } from 'bullmq'
import pg from 'pg'
import { inTransaction } from './transaction.js'

const env = process.env
const pool = new pg.Pool({
  host: env.DB_HOST,
  port: Number(env.DB_PORT),
  user: env.DB_USER,
  password: env.DB_PASSWORD || undefined,
  database: env.DB_DATABASE,
  max: 10,
})
const relances = new Queue('relances', {
  prefix: env.QUEUE_PREFIX,
  connection: {
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
    password: env.REDIS_PASSWORD || undefined,
    maxRetriesPerRequest: 1,
  },
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
      await client.query(
        'update "checkin_tasks" set "status" = $1, "answer" = $2, "answered_at" = $3, "updated_at" = $4 where "id" = $5',
        ['answered', 'paid', now, now, task.id]
      )
      await client.query('select * from "invoices" where "id" = $1 limit $2', [task.invoice_id, 1])
      const {
        rows: [invoice],
      } = await client.query('select * from "invoices" where "id" = $1 limit $2 for update', [
        task.invoice_id,
        1,
      ])
      if (invoice.status === 'pending') {
        await client.query(
          'update "invoices" set "status" = $1, "paid_at" = $2, "paid_via" = $3, "updated_at" = $4 where "id" = $5',
          ['paid', now, 'checkin', now, invoice.id]
        )
        await client.query('update "users" set "rubis" = "rubis" + $1 where "id" = $2', [
          1,
          invoice.user_id,
        ])
        await client.query(
          'insert into "activity_events" ("created_at", "invoice_id", "label", "metadata", "type", "user_id") values ($1, $2, $3, $4, $5, $6) returning "id"',
          [
            now,
            invoice.id,
            `Invoice ${invoice.number} marked as paid via check-in`,
            JSON.stringify({
              via: 'checkin',
              amountCents: Number(invoice.amount_cents),
              currency: invoice.currency,
            }),
            'invoice_paid',
            invoice.user_id,
          ]
        )
        await client.query(
          'update "checkin_tasks" set "status" = $1, "updated_at" = $2 where "invoice_id" = $3 and "status" = $4 returning "id"',
          ['cancelled', now, invoice.id, 'scheduled']
        )
        const { rows } = await client.query(
          'update "relances" set "status" = $1, "updated_at" = $2 where "invoice_id" = $3 and "status" = $4 returning "id"',
          ['cancelled', now, invoice.id, 'scheduled']
        )
        cancelledRelances = rows.map((row) => row.id)
      }
      result = 'paid'
    }
  })
  if (cancelledRelances.length > 0) {
    await Promise.all(cancelledRelances.map((id) => relances.remove(`relance-${id}`)))
  }
  return result
}

const iso = (value: Date | null) => (value ? value.toISOString() : null)
const isoDate = (value: Date | string | null) =>
  value === null ? null : typeof value === 'string' ? value : value.toISOString().slice(0, 10)

/** The user behind a bearer token, as @adonisjs/auth checks it; null when refused. */
async function authenticate(header: string | undefined): Promise<{ id: number } | null> {
  const match = /^Bearer oat_([^.]+)\.(.+)$/.exec(header ?? '')
  if (!match) return null
  const id = Buffer.from(match[1], 'base64url').toString()
  const secret = Buffer.from(match[2], 'base64url').toString()
  const {
    rows: [token],
  } = await pool.query(
    'select * from "auth_access_tokens" where "id" = $1 and "type" = $2 limit $3',
    [id, 'auth_token', 1]
  )
  if (!token) return null
  await pool.query(
    'update "auth_access_tokens" set "last_used_at" = $1 where "id" = $2 and "type" = $3',
    [new Date(), token.id, token.type]
  )
  const expected = Buffer.from(token.hash)
  const actual = Buffer.from(createHash('sha256').update(secret).digest('hex'))
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null
  if (token.expires_at && token.expires_at < new Date()) return null
  const {
    rows: [user],
  } = await pool.query('select * from "users" where "id" = $1 limit $2', [token.tokenable_id, 1])
  return user ?? null
}

async function listInvoices(request: IncomingMessage, response: ServerResponse, url: URL) {
  const user = await authenticate(request.headers.authorization)
  if (!user) {
    response.writeHead(401, { 'content-type': 'application/json' })
    return response.end('{"errors":[{"message":"Unauthorized access"}]}')
  }
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('perPage') ?? 20) || 20))
  // In the app's order, one after the other (Lucid's paginate, then each preload)
  const { rows: counted } = await pool.query(
    'select count(*) as "total" from "invoices" where "user_id" = $1',
    [user.id]
  )
  const { rows: invoices } = await pool.query(
    'select * from "invoices" where "user_id" = $1 order by "due_date" desc, "id" desc limit $2 offset $3',
    [user.id, perPage, (page - 1) * perPage]
  )
  const total = Number(counted[0].total)
  const invoiceIds = invoices.map((invoice) => invoice.id)
  const clientIds = [...new Set(invoices.map((invoice) => invoice.client_id))]
  const { rows: clients } = await pool.query('select * from "clients" where "id" = any($1)', [
    clientIds,
  ])
  const { rows: checkins } = await pool.query(
    'select * from "checkin_tasks" where "invoice_id" = any($1) order by "id" desc',
    [invoiceIds]
  )
  const { rows: relanceRows } = await pool.query(
    'select * from "relances" where "invoice_id" = any($1) order by "sequence" asc',
    [invoiceIds]
  )
  const clientById = new Map(clients.map((client) => [client.id, client]))
  const checkinByInvoice = new Map()
  for (const checkin of checkins) {
    if (!checkinByInvoice.has(checkin.invoice_id)) checkinByInvoice.set(checkin.invoice_id, checkin)
  }
  const relancesByInvoice = new Map<number, any[]>()
  for (const relance of relanceRows) {
    const list = relancesByInvoice.get(relance.invoice_id) ?? []
    list.push(relance)
    relancesByInvoice.set(relance.invoice_id, list)
  }
  const body = {
    data: invoices.map((invoice) => {
      const client = clientById.get(invoice.client_id)
      const checkin = checkinByInvoice.get(invoice.id)
      return {
        id: invoice.id,
        number: invoice.number,
        status: invoice.status,
        amountCents: Number(invoice.amount_cents),
        currency: invoice.currency,
        paidAt: iso(invoice.paid_at),
        paidVia: invoice.paid_via,
        issuedAt: isoDate(invoice.issued_at),
        dueDate: isoDate(invoice.due_date),
        client: { id: client.id, name: client.name, email: client.email },
        checkin: checkin
          ? {
              status: checkin.status,
              answer: checkin.answer,
              scheduledAt: iso(checkin.scheduled_at),
              sentAt: iso(checkin.sent_at),
              answeredAt: iso(checkin.answered_at),
            }
          : null,
        relances: (relancesByInvoice.get(invoice.id) ?? []).map((relance) => ({
          sequence: relance.sequence,
          status: relance.status,
          scheduledAt: iso(relance.scheduled_at),
          sentAt: iso(relance.sent_at),
        })),
      }
    }),
    meta: { total, perPage, currentPage: page, lastPage: Math.max(1, Math.ceil(total / perPage)) },
  }
  const json = JSON.stringify(body)
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  })
  response.end(json)
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://baseline')
  const handle = async () => {
    const checkin = TOKEN.exec(url.pathname)
    if (request.method === 'GET' && checkin)
      return redirect(response, await checkinPaid(checkin[1]))
    if (request.method === 'GET' && url.pathname === '/api/v1/invoices') {
      return listInvoices(request, response, url)
    }
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
  Promise.all([pool.end(), relances.close()]).finally(() => process.exit(0))
})
