import type { Locale } from '#models/user'
import { invoicesPhrase } from '#mails/formatting'

/** One invoice of a check-in email, with the links of its own task. */
export type CheckinInvoiceValues = {
  invoiceNumber: string
  clientName: string
  amount: string
  dueDate: string
  paidUrl: string
  pendingUrl: string
  /** What the client said, for a signal's check-in; none for the due date or a relance. */
  signal?: SignalValues | null
}

/** A client's signal as the freelancer reads it. */
export type SignalValues = {
  reason: 'payment_reported' | 'client_replied'
  /** The payment date the client gave, formatted; null when none. */
  paidOn: string | null
  /** The client's own words, quoted as plain text. */
  note: string | null
  /** When the links (and the hold) end, formatted. */
  until: string
}

export type CheckinMailValues = CheckinInvoiceValues & {
  userName: string
  linkLifetime: string
}

/** A client's reply, quoted once however many invoices of the email it is about. */
export type QuotedReplyValues = {
  clientName: string
  invoiceNumbers: string[]
  /** The quote's lines (app/mails/quoted_reply.ts). */
  quote: string[]
}

/** The digest: every invoice whose check-in falls due at the same moment, in one email. */
export type CheckinDigestValues = {
  userName: string
  linkLifetime: string
  invoices: CheckinInvoiceValues[]
  /** The replies some of these check-ins are about, quoted after the list. */
  replies?: QuotedReplyValues[]
  /** The one client who replied, when replies to this email go to it. */
  replyTo?: string | null
}

/** A check-in about one client's reply alone: the reply quoted, then the links of each invoice. */
export type ReplyCheckinValues = QuotedReplyValues & {
  userName: string
  invoices: CheckinInvoiceValues[]
  /** When the links (and the hold) end, formatted. */
  until: string
}

type MailText = { subject: string; lines: string[] }

/** The check-in email about one invoice, per locale: to the freelancer, who is "tu" in French. */
export const CHECKIN_MAIL_TEXTS: Record<Locale, (values: CheckinMailValues) => MailText> = {
  en: (v) => ({
    subject: `Have you been paid? Invoice ${v.invoiceNumber} (${v.clientName})`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `Invoice ${v.invoiceNumber} to ${v.clientName}, ${v.amount}, was due on ${v.dueDate}.`,
      'Have you been paid?',
      '',
      `Yes, I have been paid: ${v.paidUrl}`,
      `Not yet: ${v.pendingUrl}`,
      '',
      `One click is enough. These links expire in ${v.linkLifetime}.`,
      'If you have not been paid, Relance keeps reminding your client for you.',
      '',
      'Relance',
    ],
  }),
  fr: (v) => ({
    subject: `As-tu été payé ? Facture ${v.invoiceNumber} (${v.clientName})`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `La facture ${v.invoiceNumber} adressée à ${v.clientName}, d'un montant de ${v.amount}, arrivait à échéance le ${v.dueDate}.`,
      'As-tu été payé ?',
      '',
      `Oui, j'ai été payé : ${v.paidUrl}`,
      `Pas encore : ${v.pendingUrl}`,
      '',
      `Un clic suffit. Ces liens expirent dans ${v.linkLifetime}.`,
      "Si tu n'as pas été payé, Relance continue de relancer ton client pour toi.",
      '',
      'Relance',
    ],
  }),
}

/** The check-in email about several invoices, per locale: one numbered block per invoice. */
export const CHECKIN_DIGEST_TEXTS: Record<Locale, (values: CheckinDigestValues) => MailText> = {
  en: (v) => ({
    subject: `Have you been paid? ${v.invoices.length} invoices`,
    lines: [
      `Hello ${v.userName},`,
      '',
      v.invoices.some((invoice) => invoice.signal)
        ? `${v.invoices.length} invoices need your answer. Have you been paid?`
        : `${v.invoices.length} invoices have reached their due date. Have you been paid?`,
      ...v.invoices.flatMap((invoice, index) => [
        '',
        `${index + 1}. Invoice ${invoice.invoiceNumber} to ${invoice.clientName}, ${invoice.amount}, due on ${invoice.dueDate}`,
        ...(invoice.signal
          ? signalDigestLines('en', invoice, invoice.signal)
          : [`   Yes, I have been paid: ${invoice.paidUrl}`, `   Not yet: ${invoice.pendingUrl}`]),
      ]),
      ...repliesQuoted('en', v),
      '',
      v.invoices.every((invoice) => invoice.signal)
        ? 'One click per invoice is enough.'
        : `One click per invoice is enough. These links expire in ${v.linkLifetime}${v.invoices.some((invoice) => invoice.signal) ? ', unless said otherwise above' : ''}.`,
      'For each invoice not paid yet, Relance keeps reminding the client for you.',
      ...(v.replyTo ? [`Reply to this email to write to ${v.replyTo} directly.`] : []),
      '',
      'Relance',
    ],
  }),
  fr: (v) => ({
    subject: `As-tu été payé ? ${v.invoices.length} factures`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      v.invoices.some((invoice) => invoice.signal)
        ? `${v.invoices.length} factures attendent ta réponse. As-tu été payé ?`
        : `${v.invoices.length} factures sont arrivées à échéance. As-tu été payé ?`,
      ...v.invoices.flatMap((invoice, index) => [
        '',
        `${index + 1}. Facture ${invoice.invoiceNumber} adressée à ${invoice.clientName}, ${invoice.amount}, échéance le ${invoice.dueDate}`,
        ...(invoice.signal
          ? signalDigestLines('fr', invoice, invoice.signal)
          : [
              `   Oui, j'ai été payé : ${invoice.paidUrl}`,
              `   Pas encore : ${invoice.pendingUrl}`,
            ]),
      ]),
      ...repliesQuoted('fr', v),
      '',
      v.invoices.every((invoice) => invoice.signal)
        ? 'Un clic par facture suffit.'
        : `Un clic par facture suffit. Ces liens expirent dans ${v.linkLifetime}${v.invoices.some((invoice) => invoice.signal) ? ', sauf mention contraire ci-dessus' : ''}.`,
      'Pour chaque facture pas encore payée, Relance continue de relancer le client pour toi.',
      ...(v.replyTo ? [`Réponds à cet email pour écrire directement à ${v.replyTo}.`] : []),
      '',
      'Relance',
    ],
  }),
}

type SignalTexts = {
  subject: (v: CheckinInvoiceValues) => string
  /** What the client said, one line per fact. */
  said: (v: CheckinInvoiceValues, signal: SignalValues) => string[]
  yes: string
  no: string
  until: (signal: SignalValues) => string
}

/** What a client's signal says to the freelancer, per locale (the freelancer is "tu" in French). */
const SIGNAL_TEXTS: Record<Locale, SignalTexts> = {
  fr: {
    subject: (v) =>
      v.signal?.reason === 'client_replied'
        ? `${v.clientName} a répondu au sujet de la facture ${v.invoiceNumber}`
        : `${v.clientName} dit avoir payé la facture ${v.invoiceNumber}`,
    said: (v, signal) => [
      signal.reason === 'client_replied'
        ? `${v.clientName} a répondu au sujet de la facture ${v.invoiceNumber} (${v.amount}).`
        : `${v.clientName} dit avoir payé la facture ${v.invoiceNumber} (${v.amount})${signal.paidOn ? ` le ${signal.paidOn}` : ''}.`,
      ...(signal.note ? [`Son message : « ${signal.note} »`] : []),
    ],
    yes: "Oui, je l'ai reçu",
    no: 'Pas encore reçu',
    until: (signal) =>
      `Les relances attendent ta réponse jusqu'au ${signal.until} ; ces liens fonctionnent jusque-là.`,
  },
  en: {
    subject: (v) =>
      v.signal?.reason === 'client_replied'
        ? `${v.clientName} replied about invoice ${v.invoiceNumber}`
        : `${v.clientName} says invoice ${v.invoiceNumber} is paid`,
    said: (v, signal) => [
      signal.reason === 'client_replied'
        ? `${v.clientName} replied about invoice ${v.invoiceNumber} (${v.amount}).`
        : `${v.clientName} says they paid invoice ${v.invoiceNumber} (${v.amount})${signal.paidOn ? ` on ${signal.paidOn}` : ''}.`,
      ...(signal.note ? [`Their message: “${signal.note}”`] : []),
    ],
    yes: 'Yes, I received it',
    no: 'Not received yet',
    until: (signal) =>
      `Relances wait for your answer until ${signal.until}; these links work until then.`,
  },
}

/**
 * The check-in about what a client said (a reported payment, a reply): the
 * client's words, then "received?" with the two links of its task.
 */
export const SIGNAL_CHECKIN_MAIL_TEXTS: Record<
  Locale,
  (values: CheckinInvoiceValues & { userName: string; signal: SignalValues }) => MailText
> = {
  fr: (v) => ({
    subject: SIGNAL_TEXTS.fr.subject(v),
    lines: [
      `Bonjour ${v.userName},`,
      '',
      ...SIGNAL_TEXTS.fr.said(v, v.signal),
      "L'as-tu reçu ?",
      '',
      `${SIGNAL_TEXTS.fr.yes} : ${v.paidUrl}`,
      `${SIGNAL_TEXTS.fr.no} : ${v.pendingUrl}`,
      '',
      SIGNAL_TEXTS.fr.until(v.signal),
      'Sans réponse, les relances reprennent ensuite.',
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: SIGNAL_TEXTS.en.subject(v),
    lines: [
      `Hello ${v.userName},`,
      '',
      ...SIGNAL_TEXTS.en.said(v, v.signal),
      'Have you received it?',
      '',
      `${SIGNAL_TEXTS.en.yes}: ${v.paidUrl}`,
      `${SIGNAL_TEXTS.en.no}: ${v.pendingUrl}`,
      '',
      SIGNAL_TEXTS.en.until(v.signal),
      'Without an answer, the relances resume then.',
      '',
      'Relance',
    ],
  }),
}

/** A signal's block in a digest: the client's words, its links and how long they work. */
export function signalDigestLines(
  locale: Locale,
  invoice: CheckinInvoiceValues,
  signal: SignalValues
) {
  const texts = SIGNAL_TEXTS[locale]
  const colon = locale === 'fr' ? ' :' : ':'
  return [
    ...texts.said(invoice, signal).map((line) => `   ${line}`),
    `   ${texts.yes}${colon} ${invoice.paidUrl}`,
    `   ${texts.no}${colon} ${invoice.pendingUrl}`,
    `   ${texts.until(signal)}`,
  ]
}

/** After a digest's list, each reply it is about, quoted once. */
function repliesQuoted(locale: Locale, v: CheckinDigestValues): string[] {
  return (v.replies ?? []).flatMap((reply) => [
    '',
    locale === 'fr'
      ? `— Réponse de ${reply.clientName} concernant ${invoicesPhrase(reply.invoiceNumbers, 'fr')} —`
      : `— ${reply.clientName}'s reply about ${invoicesPhrase(reply.invoiceNumbers, 'en')} —`,
    '',
    ...reply.quote,
  ])
}

/** Each invoice's two links: alone, the links; several, each invoice named above its own. */
function replyLinks(locale: Locale, invoices: CheckinInvoiceValues[]): string[] {
  const texts = SIGNAL_TEXTS[locale]
  const colon = locale === 'fr' ? ' :' : ':'
  if (invoices.length === 1) {
    const [invoice] = invoices
    return [`${texts.yes}${colon} ${invoice.paidUrl}`, `${texts.no}${colon} ${invoice.pendingUrl}`]
  }
  return invoices.flatMap((invoice) => [
    '',
    locale === 'fr'
      ? `Facture ${invoice.invoiceNumber}, ${invoice.amount}, échéance le ${invoice.dueDate} :`
      : `Invoice ${invoice.invoiceNumber}, ${invoice.amount}, due on ${invoice.dueDate}:`,
    `   ${texts.yes}${colon} ${invoice.paidUrl}`,
    `   ${texts.no}${colon} ${invoice.pendingUrl}`,
  ])
}

/**
 * The check-in about a client's reply to a relance: the reply quoted as
 * text (never HTML), then "have you been paid?" with each invoice's links;
 * replies to this email go to the client.
 */
export const REPLY_CHECKIN_MAIL_TEXTS: Record<Locale, (v: ReplyCheckinValues) => MailText> = {
  fr: (v) => ({
    subject: `${v.clientName} a répondu concernant ${invoicesPhrase(v.invoiceNumbers, 'fr')}`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `${v.clientName} a répondu à ta relance pour ${invoicesPhrase(v.invoiceNumbers, 'fr')}${v.invoices.length === 1 ? ` (${v.invoices[0].amount})` : ''} :`,
      '',
      ...v.quote,
      '',
      `Les relances attendent ta réponse jusqu'au ${v.until}. As-tu reçu le paiement ?`,
      ...replyLinks('fr', v.invoices),
      '',
      'Ces liens fonctionnent jusque-là ; sans réponse, les relances reprennent ensuite.',
      `Réponds à cet email pour écrire directement à ${v.clientName}.`,
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: `${v.clientName} replied about ${invoicesPhrase(v.invoiceNumbers, 'en')}`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `${v.clientName} replied to your relance for ${invoicesPhrase(v.invoiceNumbers, 'en')}${v.invoices.length === 1 ? ` (${v.invoices[0].amount})` : ''}:`,
      '',
      ...v.quote,
      '',
      `Relances wait for your answer until ${v.until}. Have you received the payment?`,
      ...replyLinks('en', v.invoices),
      '',
      'These links work until then; without an answer, the relances resume then.',
      `Reply to this email to write to ${v.clientName} directly.`,
      '',
      'Relance',
    ],
  }),
}
