import { DateTime } from 'luxon'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { friendlyFormatIBAN } from 'ibantools'
import {
  builtInRelanceTemplate,
  CLIENT_PAGE_LINE,
  DOCUMENTS_ON_PAGE,
  INVOICE_ITEM,
  LATE_TERMS,
  TRANSFER_DETAILS,
  type RelanceTemplateText,
} from '#mails/relance_mail_texts'
import { formatAmount, formatDate, formatRate } from '#mails/formatting'
import { displayName, senderDisplayName } from '#mails/display_name'
import { lateInterestCents, owesRecoveryIndemnity } from '#support/late_payment'
import {
  fillPlaceholders,
  placeholdersIn,
  standalonePlaceholder,
  usesPlaceholder,
} from '#support/text_templates'

/** What one relance email is about: one invoice, or several of one client due the same day. */
export type RelanceDraft = {
  user: User
  client: Client
  invoices: Invoice[]
  /** The step: the highest among the relances the email covers. */
  sequence: number
  /** The user's saved wording for this step and locale, if any. */
  template: RelanceTemplateText | null
  /** The client's page, where the client answers: the last line of every relance. */
  pageUrl: string
  /** The invoices' PDFs the email attaches, and the numbers of those left to the page. */
  attachments?: RelanceAttachment[]
  documentsOnPage?: string[]
  /** Where replies go: the email's own reply address (INBOUND_DOMAIN), else the user. */
  replyTo?: string
  now?: DateTime
}

/** A PDF the email carries, as `filename`: read from storage (`path`) when it leaves. */
export type RelanceAttachment = { filename: string; sizeBytes: number; path: string }

/** A relance as it leaves: what the preview shows and the mail class sends. */
export type RenderedRelance = {
  to: string
  toName: string
  replyTo: string
  replyToName: string
  senderName: string
  subject: string
  text: string
  attachments: RelanceAttachment[]
  /** With INBOUND_DOMAIN: the email's bounce address (envelope sender) and own Message-ID. */
  envelopeFrom?: string
  messageId?: string
}

/** The values that differ per invoice: a line naming one is repeated for each invoice. */
const PER_INVOICE = ['amount', 'dueDate', 'daysLate', 'latePaymentTerms']

/** Late-payment terms are stated to businesses, from the second relance on. */
export function statesLateTerms(client: Pick<Client, 'isBusiness'>, sequence: number) {
  return client.isBusiness && sequence >= 2
}

/** The late-payment terms of one invoice in the client's locale, or '' when none apply. */
export function lateTermsOf(
  invoice: Pick<Invoice, 'amountCents' | 'currency'>,
  { rate, daysLate, locale }: { rate: number | null; daysLate: number; locale: Client['locale'] }
) {
  const penalty = rate
    ? {
        rate: formatRate(rate, locale),
        interest: formatAmount(
          lateInterestCents(invoice.amountCents, rate, daysLate),
          invoice.currency,
          locale
        ),
      }
    : null
  const indemnity = owesRecoveryIndemnity(invoice.currency)
  return penalty || indemnity ? LATE_TERMS[locale]({ penalty, indemnity }) : ''
}

function invoiceValues(draft: RelanceDraft, invoice: Invoice): Record<string, string> {
  const { user, client } = draft
  const daysLate = invoice.daysLate(user.timezone, draft.now ?? DateTime.now())
  return {
    invoiceNumber: invoice.number,
    amount: formatAmount(invoice.amountCents, invoice.currency, client.locale),
    dueDate: formatDate(invoice.dueDate, client.locale),
    daysLate: String(daysLate),
    latePaymentTerms: statesLateTerms(client, draft.sequence)
      ? lateTermsOf(invoice, { rate: user.latePenaltyRate, daysLate, locale: client.locale })
      : '',
  }
}

const LEFT_OUT = Symbol('left out')

/**
 * Renders a body line by line, each line in one pass. With several
 * invoices, a line naming a per-invoice value is written once per invoice.
 * A line holding only an empty value is left out, with the blank line that
 * would be left dangling.
 */
function renderBody(
  body: string,
  shared: Record<string, string>,
  perInvoice: Record<string, string>[],
  itemPrefix: (invoiceNumber: string) => string
) {
  const lines = body.split('\n').flatMap((line): (string | typeof LEFT_OUT)[] => {
    const repeated =
      perInvoice.length > 1 && placeholdersIn(line).some((name) => PER_INVOICE.includes(name))
    const renderings = repeated
      ? perInvoice.map((values) => ({
          values: { ...shared, ...values },
          prefix: itemPrefix(values.invoiceNumber),
        }))
      : [{ values: shared, prefix: '' }]
    const alone = standalonePlaceholder(line)
    const kept = renderings
      .filter(({ values }) => !(alone !== null && values[alone] === ''))
      .map(({ values, prefix }) => prefix + fillPlaceholders(line, values))
    return kept.length > 0 ? kept : [LEFT_OUT]
  })
  const text: string[] = []
  lines.forEach((line, index) => {
    if (typeof line === 'string') return text.push(line)
    const next = lines[index + 1]
    if (text.at(-1) === '' && (next === undefined || next === '')) text.pop()
  })
  return text.join('\n')
}

/**
 * How to pay: the user's own instructions, else, with an IBAN, the transfer
 * details with each invoice number as its reference; '' when neither.
 */
export function paymentInstructionsFor(
  user: Pick<User, 'paymentInstructions' | 'iban' | 'bic' | 'transferHolder'>,
  invoiceNumbers: string[],
  locale: Client['locale']
) {
  const own = user.paymentInstructions?.trim()
  if (own) return own
  if (!user.iban) return ''
  return TRANSFER_DETAILS[locale]({
    holder: user.transferHolder,
    iban: friendlyFormatIBAN(user.iban) ?? user.iban,
    bic: user.bic,
    references: invoiceNumbers,
  })
}

/**
 * The one function that writes a relance, for sending and for the preview
 * alike: the user's template or the built-in text of the step, in the
 * client's locale. The late-payment terms and the payment instructions
 * close the email when the template does not place them itself.
 */
export function renderRelance(draft: RelanceDraft): RenderedRelance {
  const { user, client, invoices } = draft
  const several = invoices.length > 1
  const template =
    draft.template ?? builtInRelanceTemplate(client.locale, draft.sequence, { several })
  const perInvoice = invoices.map((invoice) => invoiceValues(draft, invoice))
  const shared: Record<string, string> = {
    clientName: client.name,
    userName: user.fullName,
    paymentInstructions: paymentInstructionsFor(
      user,
      invoices.map((invoice) => invoice.number),
      client.locale
    ),
  }
  for (const name of ['invoiceNumber', ...PER_INVOICE]) {
    shared[name] = perInvoice
      .map((values) => values[name])
      .filter(Boolean)
      .join(', ')
  }
  let body = template.body
  for (const closing of ['latePaymentTerms', 'paymentInstructions']) {
    if (!usesPlaceholder(body, closing)) body += `\n\n{{${closing}}}`
  }
  return {
    to: client.email,
    toName: displayName(client.name),
    replyTo: draft.replyTo ?? user.email,
    replyToName: displayName(user.fullName),
    senderName: senderDisplayName(user.fullName),
    // A subject is one line whatever a value holds
    subject: fillPlaceholders(template.subject, shared).replace(/\s*[\r\n]+\s*/g, ' '),
    text: [
      renderBody(body, shared, perInvoice, INVOICE_ITEM[client.locale]),
      ...(draft.documentsOnPage?.length
        ? [DOCUMENTS_ON_PAGE[client.locale](draft.documentsOnPage)]
        : []),
      CLIENT_PAGE_LINE[client.locale](draft.pageUrl),
    ].join('\n\n'),
    attachments: draft.attachments ?? [],
  }
}
