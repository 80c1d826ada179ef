import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import env from '#start/env'
import type User from '#models/user'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type { Locale } from '#models/user'

const INTL_LOCALES: Record<Locale, string> = { fr: 'fr-FR', en: 'en-GB' }

/** Building an Intl.NumberFormat costs far more than using one: one per locale and currency. */
const amountFormats = new Map<string, Intl.NumberFormat>()

export function formatAmount(amountCents: number, currency: string, locale: Locale) {
  const key = `${locale} ${currency}`
  let format = amountFormats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(INTL_LOCALES[locale], { style: 'currency', currency })
    amountFormats.set(key, format)
  }
  return format.format(amountCents / 100)
}

export function formatDate(date: DateTime, locale: Locale) {
  return date.setLocale(INTL_LOCALES[locale]).toLocaleString(DateTime.DATE_FULL)
}

type CheckinEmail = {
  user: User
  invoice: Invoice
  client: Client
  paidUrl: string
  pendingUrl: string
}

function checkinText({ user, invoice, client, paidUrl, pendingUrl }: CheckinEmail) {
  const amount = formatAmount(invoice.amountCents, invoice.currency, user.locale)
  const dueDate = formatDate(invoice.dueDate, user.locale)
  if (user.locale === 'en') {
    return {
      subject: `Have you been paid? Invoice ${invoice.number} (${client.name})`,
      text: [
        `Hello ${user.fullName},`,
        '',
        `Invoice ${invoice.number} to ${client.name}, ${amount}, was due on ${dueDate}.`,
        'Have you been paid?',
        '',
        `Yes, I have been paid: ${paidUrl}`,
        `Not yet: ${pendingUrl}`,
        '',
        'One click is enough. These links expire in 24 hours.',
        'If you have not been paid, Relance keeps reminding your client for you.',
        '',
        'Relance',
      ].join('\n'),
    }
  }
  return {
    subject: `As-tu été payé ? Facture ${invoice.number} (${client.name})`,
    text: [
      `Bonjour ${user.fullName},`,
      '',
      `La facture ${invoice.number} adressée à ${client.name}, d'un montant de ${amount}, arrivait à échéance le ${dueDate}.`,
      'As-tu été payé ?',
      '',
      `Oui, j'ai été payé : ${paidUrl}`,
      `Pas encore : ${pendingUrl}`,
      '',
      'Un clic suffit. Ces liens expirent dans 24 heures.',
      "Si tu n'as pas été payé, Relance continue de relancer ton client pour toi.",
      '',
      'Relance',
    ].join('\n'),
  }
}

/**
 * Asks the freelancer (never the client) whether the invoice was paid.
 */
export async function sendCheckinEmail(email: CheckinEmail) {
  const { subject, text } = checkinText(email)
  await mail.send((message) => {
    message.to(email.user.email, email.user.fullName).subject(subject).text(text)
  })
}

type RelanceEmail = {
  user: User
  invoice: Invoice
  client: Client
  sequence: number
  now?: DateTime
}

/** Wording by step: polite first, firmer at each relance. */
const RELANCE_WORDING: Record<Locale, { subject: string; opening: string; closing: string }[]> = {
  fr: [
    {
      subject: 'Petit rappel : facture {number}',
      opening:
        "Sauf erreur de ma part, je n'ai pas encore reçu le règlement de la facture {number}.",
      closing: 'Si le paiement est déjà parti, merci de ne pas tenir compte de ce message.',
    },
    {
      subject: 'Deuxième rappel : facture {number} impayée',
      opening: 'Je reviens vers vous au sujet de la facture {number}, toujours impayée à ce jour.',
      closing: 'Pourriez-vous me confirmer la date prévue du règlement ?',
    },
    {
      subject: 'Dernier rappel avant relance formelle : facture {number}',
      opening: 'Malgré mes précédents rappels, la facture {number} reste impayée.',
      closing:
        'Sans règlement de votre part sous huit jours, je serai contraint(e) de vous adresser une mise en demeure.',
    },
  ],
  en: [
    {
      subject: 'Friendly reminder: invoice {number}',
      opening: 'Unless I am mistaken, I have not yet received payment for invoice {number}.',
      closing: 'If the payment is already on its way, please disregard this message.',
    },
    {
      subject: 'Second reminder: invoice {number} is unpaid',
      opening: 'I am following up on invoice {number}, which is still unpaid.',
      closing: 'Could you let me know when the payment will be made?',
    },
    {
      subject: 'Final reminder before formal notice: invoice {number}',
      opening: 'Despite my previous reminders, invoice {number} remains unpaid.',
      closing: 'Without payment within eight days, I will have to send you a formal notice.',
    },
  ],
}

function relanceText({ user, invoice, client, sequence, now = DateTime.now() }: RelanceEmail) {
  const steps = RELANCE_WORDING[user.locale]
  const wording = steps[Math.min(sequence, steps.length) - 1]
  const fill = (template: string) => template.replaceAll('{number}', invoice.number)
  const amount = formatAmount(invoice.amountCents, invoice.currency, user.locale)
  const dueDate = formatDate(invoice.dueDate, user.locale)
  const daysOverdue = Math.max(
    0,
    Math.floor(
      now
        .setZone(user.timezone)
        .startOf('day')
        .diff(invoice.dueDate.setZone(user.timezone, { keepLocalTime: true }), 'days').days
    )
  )
  const lines =
    user.locale === 'en'
      ? [
          `Hello ${client.name},`,
          '',
          fill(wording.opening),
          `Amount: ${amount}. Due date: ${dueDate} (${daysOverdue} days overdue).`,
          '',
          fill(wording.closing),
          '',
          'Kind regards,',
          user.fullName,
        ]
      : [
          `Bonjour ${client.name},`,
          '',
          fill(wording.opening),
          `Montant : ${amount}. Échéance : ${dueDate} (${daysOverdue} jours de retard).`,
          '',
          fill(wording.closing),
          '',
          'Bien cordialement,',
          user.fullName,
        ]
  return { subject: fill(wording.subject), text: lines.join('\n') }
}

/**
 * Reminds the client; replies go to the freelancer.
 */
export async function sendRelanceEmail(email: RelanceEmail) {
  const { subject, text } = relanceText(email)
  await mail.send((message) => {
    message
      .from(env.get('MAIL_FROM_ADDRESS'), `${email.user.fullName} via Relance`)
      .to(email.client.email, email.client.name)
      .replyTo(email.user.email, email.user.fullName)
      .subject(subject)
      .text(text)
  })
}

/**
 * An SMTP 5xx answer will not change on retry (unknown mailbox, refused
 * content); connection errors and 4xx answers may.
 */
export function isPermanentMailError(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown })?.responseCode
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
}
