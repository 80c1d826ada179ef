import { DateTime } from 'luxon'
import QRCode from 'qrcode'
import { friendlyFormatIBAN } from 'ibantools'
import Invoice from '#models/invoice'
import RelanceEmail from '#models/relance_email'
import type User from '#models/user'
import { hashLinkToken, looksLikeLinkToken } from '#support/link_tokens'
import { epcQrPayload, fitsEpcAmount } from '#support/epc_qr_payload'
import { formatAmount, formatDate } from '#mails/formatting'
import { CLIENT_PAGE_TEXTS } from '#services/client_page/client_page_texts'

export type ClientPageAction = 'paid' | 'promise' | 'dispute'

/** What the client's page answers after a form: its confirmation, or `settled`. */
export type ClientPageDone = ClientPageAction | 'settled'

/**
 * The relance email of a page link, with its user and client: null for a
 * token unknown, malformed, or older than RelanceEmail.LINK_TTL.
 */
export async function findPageEmail(
  plainToken: string,
  now: DateTime = DateTime.now()
): Promise<(RelanceEmail & { user: User }) | null> {
  if (!looksLikeLinkToken(plainToken)) return null
  const email = await RelanceEmail.query()
    .where('link_token_hash', hashLinkToken(plainToken))
    .preload('user')
    .preload('customer')
    .first()
  if (!email || email.linkExpiredAt(now)) return null
  return email
}

/** One of the page's invoices (any state): null when it is not the page's client's. */
export function findInvoiceOfPage(email: RelanceEmail, invoiceId: number) {
  return Invoice.query()
    .where('id', invoiceId)
    .where('user_id', email.userId)
    .where('client_id', email.clientId)
    .first()
}

/**
 * The inline SVG of an EPC069-12 QR code for the invoice: with the user's
 * IBAN, for a EUR amount the code can carry; null otherwise. Error
 * correction level M, as the guidelines ask.
 */
async function transferQrSvg(user: User, invoice: Invoice, label: string) {
  if (!user.iban || invoice.currency !== 'EUR' || !fitsEpcAmount(invoice.amountCents)) return null
  const payload = epcQrPayload({
    name: user.transferHolder,
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
  email: RelanceEmail & { user: User },
  options: { done?: unknown; errors?: FormErrors; now?: DateTime } = {}
) {
  const now = options.now ?? DateTime.now()
  const { user, customer: client } = email
  const locale = client.locale
  const t = CLIENT_PAGE_TEXTS[locale]
  const day = (moment: DateTime) => formatDate(moment.setZone(user.timezone), locale)
  const invoices = await Invoice.query()
    .where('user_id', user.id)
    .where('client_id', client.id)
    .where('status', 'pending')
    .orderBy('due_date', 'asc')
    .orderBy('id', 'asc')

  const holdText = (invoice: Invoice) => {
    const hold = invoice.activeHold(now)
    if (!hold) return null
    switch (hold.reason) {
      case 'payment_reported':
      case 'disputed':
      case 'client_replied':
        return t.holds[hold.reason](day(hold.since), user.fullName)
      case 'payment_promised':
        // Held until 09:00 the day after the promised date
        return hold.until ? t.holds.payment_promised(day(hold.until.minus({ days: 1 }))) : null
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
    today: now.setZone(user.timezone).toISODate(),
    promiseMax: now.setZone(user.timezone).plus({ days: 60 }).toISODate(),
    instructions: user.paymentInstructions?.trim() || null,
    transfer: user.iban
      ? { holder: user.transferHolder, iban: friendlyFormatIBAN(user.iban), bic: user.bic }
      : null,
    invoices: await Promise.all(
      invoices.map(async (invoice) => {
        const daysLate = invoice.daysLate(user.timezone, now)
        return {
          id: invoice.id,
          number: invoice.number,
          amount: formatAmount(invoice.amountCents, invoice.currency, locale),
          dueDate: formatDate(invoice.dueDate, locale),
          lateness: daysLate > 0 ? t.daysLate(daysLate) : t.notDueYet,
          isLate: daysLate > 0,
          hold: holdText(invoice),
          qrSvg: await transferQrSvg(user, invoice, t.qrLabel(invoice.number)),
          document: invoice.document && {
            url: `${base}/${invoice.id}/document`,
            label: t.document(invoice.number, fileSize(invoice.document.sizeBytes, locale)),
          },
          actions: {
            paid: `${base}/${invoice.id}/paid`,
            promise: `${base}/${invoice.id}/promise`,
            dispute: `${base}/${invoice.id}/dispute`,
          },
        }
      })
    ),
  }
}
