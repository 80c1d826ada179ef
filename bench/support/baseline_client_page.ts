/*
| The client page's baseline: a bare node:http + pg server answering
| GET /client/:token with the app's 2 statements (the relance email by its
| link's hash with its user and client, the client's pending invoices), the
| app's texts and formatting, and the page written with a template string
| (the same style sheet, headings, amounts, dates, lateness and three forms
| per invoice) instead of Edge. No rate limiter, no router, no ORM.
| Prints `READY {"port":…}`.
*/
import { readFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hashLinkToken } from '#support/link_tokens'
import { formatAmount, formatCalendarDate } from '#mails/formatting'
import { addCalendarDays, calendarDayIn } from '#support/business_calendar'
import { CLIENT_PAGE_TEXTS } from '#services/client_page/client_page_texts'
import { PAGE_EMAIL_SQL, PAGE_INVOICES_SQL } from '#services/client_page/client_page_sql'
import { numberedPlaceholders, rawPool } from './raw_connections.js'

const pool = rawPool()
const TOKEN = /^\/client\/([A-Za-z0-9_-]{43})$/
const LINK_TTL_MS = 60 * 86_400_000
const EMAIL_SQL = numberedPlaceholders(PAGE_EMAIL_SQL)
const INVOICES_SQL = numberedPlaceholders(PAGE_INVOICES_SQL)
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

async function page(token: string): Promise<string | null> {
  const {
    rows: [email],
  } = await pool.query(EMAIL_SQL, [hashLinkToken(token)])
  if (!email || Date.now() > email.sent_at.getTime() + LINK_TTL_MS) return null
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

const server = createServer((request, response) => {
  const match = TOKEN.exec(request.url ?? '')
  if (request.method !== 'GET' || !match) return void response.writeHead(404).end()
  page(match[1])
    .then((html) => (html === null ? send(response, 404, 'Not found') : send(response, 200, html)))
    .catch((error) => {
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
  pool.end().finally(() => process.exit(0))
})
