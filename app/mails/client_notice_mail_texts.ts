import type { Locale } from '#models/user'

export type ClientNoticeValues = {
  userName: string
  clientName: string
  clientEmail: string
  invoiceNumber: string
  amount: string
  /** A promise: the date, and when the relances resume without payment. */
  promisedOn?: string
  resumesOn?: string
  /** A dispute: the client's message, quoted as plain text. */
  message?: string
}

type MailText = { subject: string; lines: string[] }

/** The freelancer's notice of a client's promise, per locale (the freelancer is "tu" in French). */
export const PROMISE_NOTICE_TEXTS: Record<Locale, (v: ClientNoticeValues) => MailText> = {
  fr: (v) => ({
    subject: `${v.clientName} promet de payer la facture ${v.invoiceNumber} le ${v.promisedOn}`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) promet de payer la facture ${v.invoiceNumber} (${v.amount}) le ${v.promisedOn}.`,
      `Relance ne lui écrit plus d'ici là. Si la facture n'est pas réglée, les relances reprennent le ${v.resumesOn} à 9 h.`,
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: `${v.clientName} promises to pay invoice ${v.invoiceNumber} on ${v.promisedOn}`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) promises to pay invoice ${v.invoiceNumber} (${v.amount}) on ${v.promisedOn}.`,
      `Relance writes to them no more until then. If the invoice is still unpaid, the relances resume on ${v.resumesOn} at 9:00.`,
      '',
      'Relance',
    ],
  }),
}

/** The freelancer's notice of a client's dispute, quoting it; replies go to the client. */
export const DISPUTE_NOTICE_TEXTS: Record<Locale, (v: ClientNoticeValues) => MailText> = {
  fr: (v) => ({
    subject: `${v.clientName} conteste la facture ${v.invoiceNumber}`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) conteste la facture ${v.invoiceNumber} (${v.amount}) :`,
      '',
      ...v.message!.split(/\r?\n/).map((line) => `> ${line}`),
      '',
      'Les relances de cette facture sont suspendues jusqu’à ce que tu les reprennes dans Relance.',
      'Réponds à cet email pour écrire directement au client.',
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: `${v.clientName} disputes invoice ${v.invoiceNumber}`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) disputes invoice ${v.invoiceNumber} (${v.amount}):`,
      '',
      ...v.message!.split(/\r?\n/).map((line) => `> ${line}`),
      '',
      'The relances of this invoice are on hold until you release them in Relance.',
      'Reply to this email to write to the client directly.',
      '',
      'Relance',
    ],
  }),
}
