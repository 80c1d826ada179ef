import { DateTime } from 'luxon'
import type { Locale } from '#models/user'
import type { QuotedReply } from '#models/checkin_task'
import { formatDateTime } from '#mails/formatting'

const LABELS: Record<
  Locale,
  {
    from: string
    date: string
    subject: string
    attachments: string
    noText: string
    truncated: string
  }
> = {
  fr: {
    from: 'De',
    date: 'Date',
    subject: 'Objet',
    attachments: 'Pièces jointes',
    noText: '(pas de texte)',
    truncated: '(message coupé : la suite est dans la réponse d’origine)',
  },
  en: {
    from: 'From',
    date: 'Date',
    subject: 'Subject',
    attachments: 'Attachments',
    noText: '(no text)',
    truncated: '(message cut short: the rest is in the original reply)',
  },
}

/**
 * A client's reply quoted as plain text for the freelancer: its headers
 * (From, Date in the freelancer's zone, Subject, attachment names), then its
 * own text, each line after `> `. Never HTML: whatever the reply holds reads
 * as text.
 */
export function quotedReplyLines(
  reply: QuotedReply,
  user: { locale: Locale; timezone: string }
): string[] {
  const labels = LABELS[user.locale]
  const colon = user.locale === 'fr' ? ' :' : ':'
  const date = reply.date ? DateTime.fromISO(reply.date) : null
  return [
    `${labels.from}${colon} ${reply.from}`,
    ...(date?.isValid
      ? [`${labels.date}${colon} ${formatDateTime(date.setZone(user.timezone), user.locale)}`]
      : []),
    `${labels.subject}${colon} ${reply.subject}`,
    ...(reply.attachments.length > 0
      ? [`${labels.attachments}${colon} ${reply.attachments.join(', ')}`]
      : []),
    '',
    ...(reply.text ? reply.text.split('\n') : [labels.noText]).map((line) =>
      line ? `> ${line}` : '>'
    ),
    ...(reply.truncated ? ['', labels.truncated] : []),
  ]
}
