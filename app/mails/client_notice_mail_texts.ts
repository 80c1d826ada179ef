import type { Locale } from '#models/user'
import type { BounceCause } from '#inbound/delivery_reports'
import { invoicesPhrase } from '#mails/formatting'

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

/** Why a client's address bounced, in words, per locale. */
export const BOUNCE_REASONS: Record<Locale, Record<BounceCause, string>> = {
  en: {
    unknown_address: "the client's address does not exist",
    bad_domain: "the client's mail domain does not exist",
    mailbox_full: "the client's mailbox is full",
    mailbox_disabled: "the client's mailbox is disabled",
    refused: "the client's mail server refused the message",
    unreachable: "the client's mail server could not be reached",
    other: "the client's mail server returned the message",
  },
  fr: {
    unknown_address: "l'adresse du client n'existe pas",
    bad_domain: "le domaine de l'adresse du client n'existe pas",
    mailbox_full: 'la boîte du client est pleine',
    mailbox_disabled: 'la boîte du client est désactivée',
    refused: 'le serveur de messagerie du client a refusé le message',
    unreachable: "le serveur de messagerie du client n'a pas pu être joint",
    other: 'le serveur de messagerie du client a renvoyé le message',
  },
}

/** The reason of a bounce in words, with its status code when there is one: "… (5.1.1)". */
export function bounceReason(
  cause: BounceCause,
  status: string | null | undefined,
  locale: Locale
) {
  return `${BOUNCE_REASONS[locale][cause]}${status ? ` (${status})` : ''}`
}

export type ReplyNoticeValues = Pick<
  ClientNoticeValues,
  'userName' | 'clientName' | 'clientEmail'
> & {
  quote: string[]
  invoiceNumbers: string[]
}

/** A client's reply about invoices already settled, quoted; replies go to the client. */
export const REPLY_NOTICE_TEXTS: Record<Locale, (v: ReplyNoticeValues) => MailText> = {
  fr: (v) => ({
    subject: `${v.clientName} a répondu concernant ${invoicesPhrase(v.invoiceNumbers, 'fr')}`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) a répondu à ta relance pour ${invoicesPhrase(v.invoiceNumbers, 'fr')}, déjà ${v.invoiceNumbers.length > 1 ? 'réglées' : 'réglée'} :`,
      '',
      ...v.quote,
      '',
      'Rien ne change dans Relance : plus aucune relance ne part pour ces factures.',
      'Réponds à cet email pour écrire directement au client.',
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: `${v.clientName} replied about ${invoicesPhrase(v.invoiceNumbers, 'en')}`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `${v.clientName} (${v.clientEmail}) replied to your relance for ${invoicesPhrase(v.invoiceNumbers, 'en')}, already settled:`,
      '',
      ...v.quote,
      '',
      'Nothing changes in Relance: no relance goes out for these invoices any more.',
      'Reply to this email to write to the client directly.',
      '',
      'Relance',
    ],
  }),
}

export type BounceNoticeValues = Pick<ClientNoticeValues, 'userName' | 'clientName'> & {
  address: string
  reason: string
  invoiceNumbers: string[]
}

/** The client's address bounced: which, why, and what Relance does now. */
export const BOUNCE_NOTICE_TEXTS: Record<Locale, (v: BounceNoticeValues) => MailText> = {
  fr: (v) => ({
    subject: `L'adresse de ${v.clientName} ne reçoit pas tes relances`,
    lines: [
      `Bonjour ${v.userName},`,
      '',
      `La relance envoyée à ${v.clientName} (${v.address}) pour ${invoicesPhrase(v.invoiceNumbers, 'fr')} n'a pas été distribuée : ${v.reason}.`,
      '',
      "Relance n'écrit plus à cette adresse. Corrige l'adresse du client dans Relance (ou indique qu'elle fonctionne à nouveau) : les relances en attente partiront alors le jour ouvré suivant à 9 h.",
      '',
      'Relance',
    ],
  }),
  en: (v) => ({
    subject: `${v.clientName}'s address does not receive your relances`,
    lines: [
      `Hello ${v.userName},`,
      '',
      `The relance sent to ${v.clientName} (${v.address}) for ${invoicesPhrase(v.invoiceNumbers, 'en')} was not delivered: ${v.reason}.`,
      '',
      'Relance writes to this address no more. Correct the client’s address in Relance (or say it works again): the relances waiting then go out on the next weekday at 9:00.',
      '',
      'Relance',
    ],
  }),
}
