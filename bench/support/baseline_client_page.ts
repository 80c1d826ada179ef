/*
| The client page's baseline: a bare node:http + pg server answering
|
|   GET /client/:token                   the app's 2 statements (the relance
|                                        email by its link's hash with its
|                                        user and client, the client's
|                                        pending invoices), the app's texts
|                                        and formatting, and the page written
|                                        with a template string (the same
|                                        style sheet, headings, amounts,
|                                        dates, lateness and three forms per
|                                        invoice) instead of Edge
|   POST /client/:token/invoices/:id/paid
|                                        "already paid", first reported: the
|                                        form's two fields checked by hand,
|                                        then the app's statements (the
|                                        email, the invoice, then in one
|                                        transaction the invoice locked with
|                                        its client, the hold, the check-in
|                                        cancelled then inserted, the
|                                        activity event, the webhook
|                                        subscribers), the check-in's job
|                                        added to BullMQ after commit, the 303
|
| Each request is first counted against the page's per-IP limit in Redis, as
| the app's throttle counts it (bare_rate_limit.ts). No framework, no router,
| no ORM, no validation library.
| Prints `READY {"port":…}`.
*/
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Queue } from 'bullmq'
import { generateLinkToken, hashLinkToken } from '#support/link_tokens'
import { formatAmount, formatCalendarDate } from '#mails/formatting'
import { addCalendarDays, calendarDayIn } from '#support/business_calendar'
import { CLIENT_PAGE_TEXTS } from '#services/client_page/client_page_texts'
import {
  LOCK_PAGE_INVOICE_SQL,
  PAGE_EMAIL_SQL,
  PAGE_INVOICE_SQL,
  PAGE_INVOICES_SQL,
} from '#services/client_page/client_page_sql'
import { WEBHOOK_SUBSCRIBERS_SQL } from '#services/webhooks/webhook_subscribers_sql'
import { checkinJobData } from './bare_jobs.js'
import { numberedPlaceholders, rawPool, rawRedis } from './raw_connections.js'
import { inTransaction } from './transaction.js'
import { insertSignalCheckin } from './signal_checkin.js'
import { closeRateLimit, withinRateLimit } from './bare_rate_limit.js'

const env = process.env
const pool = rawPool()
const checkins = new Queue('checkins', { prefix: env.QUEUE_PREFIX, connection: rawRedis(1) })
/** The length of the app's encrypted check-in token, read from one of its jobs by the bench. */
const ENCRYPTED_TOKEN_LENGTH = Number(process.argv[2])
const CHECKIN_DELAY_MS = Number(env.CHECKIN_PAST_DUE_DELAY_MS)
const HOLD_DAYS = Number(env.CLIENT_SIGNAL_HOLD_DAYS ?? 7)
const TOKEN = /^\/client\/([A-Za-z0-9_-]{43})$/
const PAID = /^\/client\/([A-Za-z0-9_-]{43})\/invoices\/(\d{1,9})\/paid$/
const LINK_TTL_MS = 60 * 86_400_000
const EMAIL_SQL = numberedPlaceholders(PAGE_EMAIL_SQL)
const INVOICES_SQL = numberedPlaceholders(PAGE_INVOICES_SQL)
const INVOICE_SQL = numberedPlaceholders(PAGE_INVOICE_SQL)
const LOCK_INVOICE_SQL = numberedPlaceholders(LOCK_PAGE_INVOICE_SQL)
const template = readFileSync(
  new URL('../../resources/views/pages/client_page.edge', import.meta.url),
  'utf8'
)
const STYLE = template.slice(template.indexOf('<style>'), template.indexOf('</style>') + 8)
const POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"

const escape = (value: unknown) =>
  String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')

function send(response: ServerResponse, status: number, html: string) {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-security-policy': POLICY,
  })
  response.end(html)
}

async function pageEmail(token: string) {
  const {
    rows: [email],
  } = await pool.query(EMAIL_SQL, [hashLinkToken(token)])
  return email && Date.now() <= email.sent_at.getTime() + LINK_TTL_MS ? email : null
}

async function page(token: string): Promise<string | null> {
  const email = await pageEmail(token)
  if (!email) return null
  const { rows: invoices } = await pool.query(INVOICES_SQL, [email.user_id, email.client_id])
  const locale = email.client_locale as 'fr' | 'en'
  const t = CLIENT_PAGE_TEXTS[locale]
  const today = calendarDayIn(email.timezone, new Date())
  const base = `/client/${token}/invoices`
  const sections = invoices.map((invoice) => {
    const daysLate = Math.max(
      0,
      Math.round((Date.parse(today) - Date.parse(invoice.due_date)) / 86_400_000)
    )
    const id = invoice.id
    return `<section class="invoice" aria-labelledby="invoice-${id}-title">
<h2 id="invoice-${id}-title">${escape(t.number)} ${escape(invoice.number)}</h2>
<dl><div><dt>${escape(t.amount)}</dt><dd>${escape(formatAmount(Number(invoice.amount_cents), invoice.currency, locale))}</dd></div>
<div><dt>${escape(t.dueDate)}</dt><dd>${escape(formatCalendarDate(invoice.due_date, locale))}</dd></div>
<div><dt>${escape(t.status)}</dt><dd class="${daysLate > 0 ? 'late' : ''}">${escape(daysLate > 0 ? t.daysLate(daysLate) : t.notDueYet)}</dd></div></dl>
<div class="forms">
<details id="invoice-${id}-paid"><summary>${escape(t.paid.summary)}</summary>
<form method="post" action="${base}/${id}/paid" novalidate>
<div id="invoice-${id}-paidOn"><label for="paid-on-${id}">${escape(t.paid.paidOn)} <span class="field-hint" id="paid-on-hint-${id}">${escape(t.paid.paidOnHint)}</span></label>
<input type="date" id="paid-on-${id}" name="paidOn" max="${today}" value="" aria-describedby="paid-on-hint-${id}" aria-invalid="false" /></div>
<div id="invoice-${id}-note"><label for="paid-note-${id}">${escape(t.paid.note)} <span class="field-hint" id="paid-note-hint-${id}">${escape(t.paid.noteHint)}</span></label>
<textarea id="paid-note-${id}" name="note" maxlength="500" aria-describedby="paid-note-hint-${id}" aria-invalid="false"></textarea></div>
<div><button type="submit">${escape(t.paid.submit)}</button></div></form></details>
<details id="invoice-${id}-promise"><summary>${escape(t.promise.summary)}</summary>
<form method="post" action="${base}/${id}/promise" novalidate>
<div id="invoice-${id}-promisedOn"><label for="promised-on-${id}">${escape(t.promise.promisedOn)} <span class="field-hint" id="promised-on-hint-${id}">${escape(t.promise.promisedOnHint)}</span></label>
<input type="date" id="promised-on-${id}" name="promisedOn" min="${today}" max="${addCalendarDays(today, 60)}" required aria-describedby="promised-on-hint-${id}" aria-invalid="false" /></div>
<div><button type="submit">${escape(t.promise.submit)}</button></div></form></details>
<details id="invoice-${id}-dispute"><summary>${escape(t.dispute.summary)}</summary>
<form method="post" action="${base}/${id}/dispute" novalidate>
<div id="invoice-${id}-message"><label for="dispute-message-${id}">${escape(t.dispute.message)} <span class="field-hint" id="dispute-message-hint-${id}">${escape(t.dispute.messageHint)}</span></label>
<textarea id="dispute-message-${id}" name="message" maxlength="2000" required aria-describedby="dispute-message-hint-${id}" aria-invalid="false"></textarea></div>
<div><button type="submit">${escape(t.dispute.submit)}</button></div></form></details>
</div></section>`
  })
  const instructions = email.payment_instructions?.trim()
  return `<!DOCTYPE html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.title(email.full_name))}</title>${STYLE}</head>
<body><main>
<h1>${escape(t.heading(email.full_name))}</h1>
<p class="intro">${escape(t.intro(email.client_name, email.full_name))}</p>
${invoices.length === 0 ? `<p class="notice">${escape(t.none)}</p>` : ''}
${sections.join('\n')}
${instructions ? `<section aria-labelledby="instructions-title"><h2 id="instructions-title">${escape(t.instructionsHeading)}</h2><p class="instructions">${escape(instructions)}</p></section>` : ''}
<p class="footer">${escape(t.footer(email.full_name))}</p>
</main></body></html>`
}

async function formOf(request: IncomingMessage) {
  let body = ''
  for await (const chunk of request) body += chunk
  return new URLSearchParams(body)
}

/** A form field as the app's body parser gives it: trimmed by the validator, empty as null. */
function field(form: URLSearchParams, name: string) {
  const value = form.get(name)?.trim()
  return value ? value : null
}

/**
 * The "already paid" form, checked as reportPaymentValidator and
 * reportPayment do: a real calendar day not after the freelancer's today
 * (nor over a year back), a note of at most 500 characters without NUL.
 */
function paymentReport(form: URLSearchParams, timezone: string) {
  const paidOn = field(form, 'paidOn')
  const note = field(form, 'note')
  const today = calendarDayIn(timezone, new Date())
  const day = paidOn && /^\d{4}-\d{2}-\d{2}$/.test(paidOn) ? Date.parse(paidOn) : Number.NaN
  if (
    paidOn !== null &&
    (Number.isNaN(day) ||
      new Date(day).toISOString().slice(0, 10) !== paidOn ||
      paidOn > today ||
      paidOn < addCalendarDays(today, -366))
  ) {
    return null
  }
  if (note !== null && (note.length > 500 || note.includes('\u0000'))) return null
  return { paidOn, note }
}

/** The 303 back to the page, which confirms. */
function seeOther(response: ServerResponse, location: string) {
  response.writeHead(303, {
    'location': location,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-length': '0',
  })
  response.end()
}

/**
 * A first report of a payment (the bench's case: no hold yet), with the
 * app's statements in its order. Answers the location of the 303, or null
 * for a 404 (an unknown link, another client's invoice), or 'invalid'.
 */
async function reportPayment(
  token: string,
  invoiceId: number,
  request: IncomingMessage
): Promise<string | null | 'invalid'> {
  const email = await pageEmail(token)
  if (!email) return null
  const byPage = [invoiceId, email.user_id, email.client_id]
  const {
    rows: [invoice],
  } = await pool.query(INVOICE_SQL, byPage)
  if (!invoice) return null
  const done = `/client/${token}?done=`
  if (invoice.status !== 'pending') return `${done}settled`
  const report = paymentReport(await formOf(request), email.timezone)
  if (!report) return 'invalid'

  const checkinToken = generateLinkToken()
  const task = await inTransaction(pool, async (client) => {
    const {
      rows: [locked],
    } = await client.query(LOCK_INVOICE_SQL, byPage)
    if (locked?.status !== 'pending') return null
    const now = new Date()
    const until = new Date(now.getTime() + HOLD_DAYS * 86_400_000)
    await client.query(
      'update "invoices" set "updated_at" = $1, "hold_reason" = $2, "hold_until" = $3, "held_at" = $4, "hold_note" = $5 where "id" = $6',
      [now, 'payment_reported', until, now, report.note, locked.id]
    )
    const { rows: cancelled } = await client.query(
      `WITH cancelled_0 AS (UPDATE checkin_tasks SET status = 'cancelled', updated_at = $1
       WHERE invoice_id = ANY($2::int[]) AND status = 'scheduled' RETURNING id)
     SELECT 0 AS kind, id FROM cancelled_0`,
      [now, [locked.id]]
    )
    const signal = { paidOn: report.paidOn, note: report.note }
    const inserted = await insertSignalCheckin(client, now, {
      invoiceId: locked.id,
      tokenHash: checkinToken.hashed,
      reason: 'payment_reported',
      signal,
      expiresAt: until,
      scheduledMs: Date.now() + CHECKIN_DELAY_MS,
    })
    await client.query(
      'insert into "activity_events" ("created_at", "invoice_id", "label", "metadata", "type", "user_id") values ($1, $2, $3, $4, $5, $6)',
      [
        now,
        locked.id,
        `${locked.client_name} says invoice ${locked.number} is paid${signal.paidOn ? ` (on ${signal.paidOn})` : ''}: relances wait for your answer`,
        JSON.stringify(signal),
        'client_reported_payment',
        locked.user_id,
      ]
    )
    const { rows: subscribed } = await client.query(WEBHOOK_SUBSCRIBERS_SQL, [
      ['client.payment_reported'],
      [locked.id],
    ])
    // The bench's users subscribe no endpoint: no outbox row on either side
    if (subscribed.length > 0) throw new Error('the baseline writes no webhook delivery')
    return { inserted, cancelled }
  })
  if (!task) return `${done}settled`
  if (task.cancelled.length > 0) {
    await Promise.all(task.cancelled.map((row) => checkins.remove(`checkin-${row.id}`)))
  }
  const { inserted } = task
  await checkins.addBulk([
    {
      name: 'send-checkin',
      data: checkinJobData(inserted, ENCRYPTED_TOKEN_LENGTH),
      opts: {
        jobId: `checkin-${inserted.id}`,
        delay: Math.max(0, inserted.scheduled_at.getTime() - Date.now()),
      },
    },
  ])
  return `${done}paid`
}

function failed(response: ServerResponse, error: unknown) {
  console.error(error)
  if (!response.headersSent) response.writeHead(500)
  response.end()
}

const PER_MINUTE = Number(env.RATE_LIMIT_CLIENT_PAGE_PER_MINUTE)

async function handle(request: IncomingMessage, response: ServerResponse) {
  const url = request.url ?? ''
  const paid = request.method === 'POST' ? PAID.exec(url) : null
  const match = paid ? null : TOKEN.exec(url)
  if (!paid && (request.method !== 'GET' || !match)) return void response.writeHead(404).end()
  if (!(await withinRateLimit('client-page', PER_MINUTE, request, response))) return
  if (paid) {
    const location = await reportPayment(paid[1], Number(paid[2]), request)
    if (location === null) return send(response, 404, 'Not found')
    return location === 'invalid' ? send(response, 422, 'Invalid') : seeOther(response, location)
  }
  const html = await page(match![1])
  send(response, html === null ? 404 : 200, html ?? 'Not found')
}

const server = createServer((request, response) => {
  handle(request, response).catch((error) => failed(response, error))
})

server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}`)
})

process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  Promise.allSettled([pool.end(), checkins.close(), closeRateLimit()]).finally(() =>
    process.exit(0)
  )
})
