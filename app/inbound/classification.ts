import type { InboundMail } from '#inbound/inbound_mail'
import type { InboundAddressKind } from '#inbound/inbound_addresses'
import { readDsn, readPlainReport, type DeliveryReport } from '#inbound/delivery_reports'
import { replyText } from '#inbound/reply_text'

/**
 * What came back to a relance email, decided from the message alone (and
 * the address it came to): a bounce, an automatic reply, a reply, or
 * unknown. No domain decision here: what each means for the invoices is
 * the services' (app/services/inbound).
 */
export type Classification =
  | ({ kind: 'bounce' } & DeliveryReport)
  | { kind: 'auto_reply'; marker: string }
  | { kind: 'reply'; text: string; truncated: boolean }
  | { kind: 'unknown'; why: string }

export type InboundKind = Classification['kind']

/** Headers an automatic responder sets (RFC 3834 and the common others), any value but `no`. */
const AUTO_HEADERS = ['auto-submitted', 'x-autoreply', 'x-autorespond', 'x-autoresponder']
const BULK_PRECEDENCE = /^\s*(auto_reply|bulk|list|junk)\b/i
/** Out-of-office subjects, in English and French, anywhere in the subject. */
const AUTO_SUBJECT_ANYWHERE =
  /\b(automatic reply|auto[- ]?reply|auto[- ]?response|autorespon[a-z]*|out of (the )?office|r[ée]ponse automatique|message d['’]absence|absent du bureau)\b/i
/** …and those that only an automatic subject starts with. */
const AUTO_SUBJECT_START =
  /^\s*(\[[^\]]*\]\s*)?(absen(ce|t|te)\s*:|en cong[ée]s?\s*:|vacation\s*:|on vacation\b|away\s*:)/i
const MAILER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i

/** What marks a message as automatic, or null for one a person wrote. */
export function automaticMarker(mail: InboundMail): string | null {
  for (const name of AUTO_HEADERS) {
    const value = mail.headers.get(name)
    if (value !== undefined && value.split(';')[0].trim().toLowerCase() !== 'no') {
      return `${name}: ${value.slice(0, 60)}`
    }
  }
  const precedence = mail.headers.get('precedence')
  if (precedence && BULK_PRECEDENCE.test(precedence))
    return `precedence: ${precedence.slice(0, 30)}`
  if (/vacation/i.test(mail.headers.get('x-apple-action') ?? '')) return 'x-apple-action: vacation'
  if (AUTO_SUBJECT_ANYWHERE.test(mail.subject) || AUTO_SUBJECT_START.test(mail.subject)) {
    return 'subject'
  }
  if (MAILER.test(mail.from?.address ?? '')) return 'sender'
  return null
}

/**
 * Bounce first (most DSNs carry `Auto-Submitted: auto-replied` too), then
 * an automatic reply, then a reply. A person's message to the bounce
 * address, an empty one, or one that cannot be read is unknown.
 */
export function classifyInboundMail(mail: InboundMail, to: InboundAddressKind): Classification {
  if (mail.unreadable) return { kind: 'unknown', why: `unreadable message: ${mail.unreadable}` }
  const report = readDsn(mail) ?? readPlainReport(mail)
  if (report) return { kind: 'bounce', ...report }
  const marker = automaticMarker(mail)
  if (marker) return { kind: 'auto_reply', marker }
  if (to === 'bounce')
    return { kind: 'unknown', why: 'a message to the bounce address that is no bounce' }
  const reply = replyText(mail.text)
  if (!reply.text && !mail.attachments.some((attachment) => attachment.filename)) {
    return { kind: 'unknown', why: 'no text and no attachment' }
  }
  return { kind: 'reply', ...reply }
}
