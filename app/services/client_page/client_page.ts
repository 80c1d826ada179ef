import { DateTime } from 'luxon'
import QRCode from 'qrcode'
import { friendlyFormatIBAN } from 'ibantools'
import Invoice, { type HoldReason, type InvoiceStatus } from '#models/invoice'
import RelanceEmail from '#models/relance_email'
import User, { type Locale } from '#models/user'
import { hashLinkToken, looksLikeLinkToken } from '#support/link_tokens'
import { poolQuery } from '#support/pool_statements'
import { epcQrPayload, fitsEpcAmount } from '#support/epc_qr_payload'
import { addCalendarDays, calendarDayIn } from '#support/business_calendar'
import { formatAmount, formatCalendarDate, formatDayIn } from '#mails/formatting'
import { CLIENT_PAGE_TEXTS } from '#services/client_page/client_page_texts'
import {
  PAGE_EMAIL_SQL,
  PAGE_INVOICE_SQL,
  PAGE_INVOICES_SQL,
} from '#services/client_page/client_page_sql'

export type ClientPageAction = 'paid' | 'promise' | 'dispute'

/** What the client's page answers after a form: its confirmation, or `settled`. */
export type ClientPageDone = ClientPageAction | 'settled'

/*
| The page reads its rows plain (client_page_sql.ts) and applies the models'
| rules to them (RelanceEmail, Invoice, User): a page hydrates no model, as
| the invoice list.
*/

/** What the page uses of the freelancer. */
type PageUser = {
  id: number
  fullName: string
  timezone: string
  paymentInstructions: string | null
  iban: string | null
  bic: string | null
  accountHolder: string | null
}

/** The relance email of a page link, with its user and client. */
export type PageEmail = {
  userId: number
  clientId: number
  sentAt: Date
  user: PageUser
  customer: { id: number; name: string; locale: Locale }
}

type PageEmailRow = {
  user_id: number
  client_id: number
  sent_at: Date
  full_name: string
  timezone: string
  payment_instructions: string | null
  iban: string | null
  bic: string | null
  account_holder: string | null
  client_name: string
  client_locale: Locale
}

type PageInvoiceRow = {
  id: number
  number: string
  amount_cents: string
  currency: string
  due_date: string
  hold_reason: HoldReason | null
  held_at: Date | null
  hold_until: Date | null
  hold_note: string | null
  document_path: string | null
  document_filename: string | null
  document_size_bytes: number | null
  document_uploaded_at: Date | null
}

/**
 * The relance email of a page link, with its user and client: null for a
 * token unknown, malformed, or older than RelanceEmail.LINK_TTL.
 */
export async function findPageEmail(
  plainToken: string,
  now: Date = new Date()
): Promise<PageEmail | null> {
  if (!looksLikeLinkToken(plainToken)) return null
  const {
    rows: [row],
  } = await poolQuery<PageEmailRow>(PAGE_EMAIL_SQL, [hashLinkToken(plainToken)])
  if (!row || RelanceEmail.linkExpired({ sentAt: row.sent_at }, now)) return null
  return {
    userId: row.user_id,
    clientId: row.client_id,
    sentAt: row.sent_at,
    user: {
      id: row.user_id,
      fullName: row.full_name,
      timezone: row.timezone,
      paymentInstructions: row.payment_instructions,
      iban: row.iban,
      bic: row.bic,
      accountHolder: row.account_holder,
    },
    customer: { id: row.client_id, name: row.client_name, locale: row.client_locale },
  }
}

/**
 * One of the page's invoices (any state), as its plain row: null when it
 * is not the page's client's. A form reads its status; the document's
 * route makes a model of it.
 */
export async function findInvoiceRowOfPage(email: PageEmail, invoiceId: number) {
  const {
    rows: [row],
  } = await poolQuery<Record<string, unknown> & { id: number; status: InvoiceStatus }>(
    PAGE_INVOICE_SQL,
    [invoiceId, email.userId, email.clientId]
  )
  return row ?? null
}

/**
 * The inline SVG of an EPC069-12 QR code for the invoice: with the user's
 * IBAN, for a EUR amount the code can carry; null otherwise. Error
 * correction level M, as the guidelines ask.
 */
async function transferQrSvg(
  user: PageUser,
  invoice: { currency: string; amountCents: number; number: string },
  label: string
) {
  if (!user.iban || invoice.currency !== 'EUR' || !fitsEpcAmount(invoice.amountCents)) return null
  const payload = epcQrPayload({
    name: User.transferHolderOf(user),
    iban: user.iban,
    bic: user.bic,
    amountCents: invoice.amountCents,
    remittance: invoice.number,
  })
  const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 })
  // An image with a name for screen readers; its size comes from the page's style
  return svg.replace('<svg ', `<svg role="img" aria-label="${escapeAttribute(label)}" `)
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** "296 ko", "1,2 Mo", "296 KB": a document's size in the client's words. */
function fileSize(bytes: number, locale: string) {
  const [value, unit] =
    bytes < 1024 * 1024 ? [bytes / 1024, 'kilobyte'] : [bytes / 1024 / 1024, 'megabyte']
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit,
    maximumFractionDigits: unit === 'kilobyte' ? 0 : 1,
  }).format(Math.max(1, value))
}

/** What a form sent back with its errors: shown again beside its fields. */
export type FormErrors = {
  invoiceId: number
  action: ClientPageAction
  fields: string[]
  values: Record<string, unknown>
}

/**
 * Everything the page shows, in the client's language: the freelancer, every
 * pending invoice of this client with this freelancer (number, amount, due
 * date, days late, its hold), how to pay (the instructions, or the transfer
 * details with a QR code per invoice), and the three forms per invoice.
 */
export async function clientPageState(
  plainToken: string,
  email: PageEmail,
  options: { done?: unknown; errors?: FormErrors; now?: Date } = {}
) {
  const now = options.now ?? new Date()
  const { user, customer: client } = email
  const locale = client.locale
  const t = CLIENT_PAGE_TEXTS[locale]
  const today = calendarDayIn(user.timezone, now)
  const day = (moment: Date) => formatDayIn(moment, user.timezone, locale)
  const { rows } = await poolQuery<PageInvoiceRow>(PAGE_INVOICES_SQL, [user.id, client.id])

  const holdText = (row: PageInvoiceRow) => {
    const hold = Invoice.activeHold(
      {
        holdReason: row.hold_reason,
        heldAt: row.held_at,
        holdUntil: row.hold_until,
        holdNote: row.hold_note,
      },
      now
    )
    if (!hold) return null
    switch (hold.reason) {
      case 'payment_reported':
      case 'disputed':
      case 'client_replied':
        return t.holds[hold.reason](day(hold.since), user.fullName)
      case 'payment_promised':
        // Held until 09:00 the day after the promised date
        return hold.until
          ? t.holds.payment_promised(
              day(DateTime.fromJSDate(hold.until).minus({ days: 1 }).toJSDate())
            )
          : null
      default:
        // The freelancer's own hold and its note are the freelancer's business
        return null
    }
  }

  const base = `/client/${plainToken}/invoices`
  const done = ['paid', 'promise', 'dispute', 'settled'].includes(String(options.done))
    ? (options.done as ClientPageDone)
    : null
  return {
    lang: locale,
    t,
    freelancer: user.fullName,
    clientName: client.name,
    done: done && (done === 'settled' ? t.done.settled : t.done[done](user.fullName)),
    errors: options.errors ?? null,
    today,
    promiseMax: addCalendarDays(today, 60),
    instructions: user.paymentInstructions?.trim() || null,
    transfer: user.iban
      ? { holder: User.transferHolderOf(user), iban: friendlyFormatIBAN(user.iban), bic: user.bic }
      : null,
    invoices: await Promise.all(
      rows.map(async (row) => {
        const invoice = {
          number: row.number,
          amountCents: Number(row.amount_cents),
          currency: row.currency,
        }
        const daysLate = Invoice.daysLateOn(row.due_date, today)
        const document = Invoice.documentOf({
          number: row.number,
          documentPath: row.document_path,
          documentFilename: row.document_filename,
          documentSizeBytes: row.document_size_bytes,
          documentUploadedAt: row.document_uploaded_at,
        })
        return {
          id: row.id,
          number: row.number,
          amount: formatAmount(invoice.amountCents, invoice.currency, locale),
          dueDate: formatCalendarDate(row.due_date, locale),
          lateness: daysLate > 0 ? t.daysLate(daysLate) : t.notDueYet,
          isLate: daysLate > 0,
          hold: holdText(row),
          qrSvg: await transferQrSvg(user, invoice, t.qrLabel(row.number)),
          document: document && {
            url: `${base}/${row.id}/document`,
            label: t.document(row.number, fileSize(document.sizeBytes, locale)),
          },
          actions: {
            paid: `${base}/${row.id}/paid`,
            promise: `${base}/${row.id}/promise`,
            dispute: `${base}/${row.id}/dispute`,
          },
        }
      })
    ),
  }
}
