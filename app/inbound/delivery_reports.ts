import type { InboundMail } from '#inbound/inbound_mail'

/**
 * Reading a bounce: a DSN's delivery-status fields (RFC 3464), or the words
 * of a plain non-delivery report (Exim, qmail, Yahoo, old Gmail…), down to
 * the same facts: which address failed, the status code, whether it is for
 * good, and why in a word.
 */

/** Why an address failed, in a word the services turn into a sentence. */
export type BounceCause =
  | 'unknown_address'
  | 'bad_domain'
  | 'mailbox_full'
  | 'mailbox_disabled'
  | 'refused'
  | 'unreachable'
  | 'other'

export type DeliveryReport = {
  format: 'dsn' | 'plain'
  /** For good (the message was returned), or a delay the sender's server still retries. */
  permanent: boolean
  /** The failed addresses the report names, lowercased; the first is the likeliest. */
  recipients: string[]
  /** The enhanced status code (5.1.1), or a basic SMTP code (550) when that is all it gives. */
  status: string | null
  cause: BounceCause
  /** The remote server's answer, one line, as the report quotes it. */
  diagnostic: string | null
}

type DsnRecipient = {
  finalRecipient: string | null
  originalRecipient: string | null
  action: string | null
  status: string | null
  diagnostic: string | null
}

const ENHANCED_CODE = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/
const BASIC_CODE = /(?<![\d.])([45][0-9]{2})(?=[ -]|$)/m
const ADDRESS =
  /[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+/gi
const MAILER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i

/** `rfc822; a@b` or `rfc822;<a@b>` → `a@b`. */
function addressOf(value: string | undefined): string | null {
  if (!value) return null
  const address = value
    .replace(/^[^;]*;/, '')
    .trim()
    .replace(/^<|>$/g, '')
    .toLowerCase()
  return address.includes('@') ? address : null
}

/**
 * The fields of a message/delivery-status part: folded lines joined, then
 * blocks split on blank lines; the first block is about the message, each
 * other one about a recipient.
 */
export function parseDeliveryStatus(text: string): DsnRecipient[] {
  const unfolded = text.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ')
  const blocks = unfolded
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>()
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':')
        if (colon > 0)
          fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
      }
      return fields
    })
    .filter((fields) => fields.size > 0)
  return blocks
    .filter((fields) => fields.has('final-recipient') || fields.has('action'))
    .map((fields) => ({
      finalRecipient: addressOf(fields.get('final-recipient')),
      originalRecipient: addressOf(fields.get('original-recipient')),
      action: fields.get('action')?.toLowerCase().split(/\s/)[0] ?? null,
      status: ENHANCED_CODE.exec(fields.get('status') ?? '')?.[0] ?? null,
      diagnostic:
        fields
          .get('diagnostic-code')
          ?.replace(/^[^;]*;\s*/, '')
          .slice(0, 500) ?? null,
    }))
}

/** The most telling enhanced code among these texts: one more precise than x.0.0 if any. */
function statusAmong(texts: (string | null)[]): string | null {
  const codes = texts.flatMap((text) => {
    const match = text ? ENHANCED_CODE.exec(text) : null
    return match ? [match[0]] : []
  })
  return codes.find((code) => !code.endsWith('.0.0')) ?? codes[0] ?? null
}

const FULL =
  /mailbox (is )?full|over ?quota|quota exceeded|insufficient (disk )?space|boîte (aux lettres )?pleine/i
const UNKNOWN =
  /user unknown|unknown (user|recipient|or illegal alias)|no such (user|mailbox|recipient|address)|does ?n[o']t exist|address (not found|rejected)|recipient ?not ?found|invalid (recipient|mailbox|address)|introuvable|n'existe pas|not (a )?valid (recipient|mailbox)|mailbox unavailable/i

/** Why, from the status code's subject and detail, else from the words. */
export function causeOf(status: string | null, words: string): BounceCause {
  const [, subject, detail] = (status ?? '').split('.')
  if (subject === '1') return detail === '2' ? 'bad_domain' : 'unknown_address'
  if (subject === '2' && detail === '2') return 'mailbox_full'
  if (FULL.test(words)) return 'mailbox_full'
  if (UNKNOWN.test(words)) return 'unknown_address'
  if (subject === '2') return detail === '1' ? 'mailbox_disabled' : 'other'
  if (subject === '4') return 'unreachable'
  if (['3', '5', '6', '7'].includes(subject)) return 'refused'
  return 'other'
}

/** A DSN (multipart/report; report-type=delivery-status), or null when the message carries none. */
export function readDsn(mail: InboundMail): DeliveryReport | null {
  const recipients = mail.deliveryStatus.flatMap(parseDeliveryStatus)
  if (recipients.length === 0) return null
  const failed =
    recipients.find((recipient) => recipient.action === 'failed') ??
    recipients.find((recipient) => recipient.action === 'delayed') ??
    recipients.find((recipient) => recipient.status?.startsWith('5')) ??
    recipients.find((recipient) => recipient.status?.startsWith('4'))
  // Delivered, relayed or expanded: a success notice, not a bounce
  if (!failed) return null
  const status = statusAmong([failed.diagnostic, failed.status]) ?? failed.status
  const permanent =
    failed.action === 'failed' || (failed.action !== 'delayed' && !!failed.status?.startsWith('5'))
  const addresses = recipients
    .filter((recipient) => recipient.action === failed.action)
    .flatMap((recipient) => [recipient.finalRecipient, recipient.originalRecipient])
  return {
    format: 'dsn',
    permanent,
    recipients: unique(addresses),
    status,
    cause: causeOf(status, `${failed.diagnostic ?? ''}\n${mail.text.slice(0, 4000)}`),
    diagnostic: oneLine(failed.diagnostic),
  }
}

/** Where a plain report starts quoting the message it returns. */
const RETURNED_COPY =
  /^.*(below this line is a copy|this is a copy of the message|copy of (the|your) (original )?message|original message (headers|follows)|-{3,} ?original message|returned message|message header follows|headers? of the original|bounced e-?mail:|message d'origine).*$/im

/** Words that say the message is still on its way. */
const DELAYED =
  /delayed|not yet been delivered|will (be )?retr(y|ied)|still trying|temporar(y|ily) (problem|failure|error|unavailable)|warning message only|do not need to resend|no action is required|delivery incomplete/i
/** Words that say the sender's server has given up. */
const GIVEN_UP = /permanent (error|failure)|failed permanently|given up|giving up/i
/** Words of a failed delivery. */
const FAILED =
  /could ?n[o']t be delivered|was ?n[o']t delivered|not be delivered|delivery (has |to the following recipients? )?failed|mail delivery failed|undeliverable|undelivered|rejected|discarded|returned to sender|unable to deliver|non remis|échec de la remise|address not found|user unknown|unknown user/i
const SUBJECT =
  /undeliver|delivery (status notification|failure|failed|problem)|failure notice|returned mail|mail delivery failed|bounce|non remis|non distribuable|échec de (la )?(remise|distribution)|delivery delayed|delayed|warning: message/i

/**
 * A non-delivery report without a delivery-status part: a mail system
 * (mailer-daemon, postmaster), `X-Failed-Recipients` or a bounce's subject,
 * and words of failure or delay before the copy of the original. The failed
 * addresses are those the notice names.
 */
export function readPlainReport(mail: InboundMail): DeliveryReport | null {
  const fromMailer = MAILER.test(mail.from?.address ?? '')
  const failedHeader = mail.headers.get('x-failed-recipients') ?? ''
  if (!fromMailer && !failedHeader && !SUBJECT.test(mail.subject)) return null
  const cut = mail.text.search(RETURNED_COPY)
  const notice = (cut === -1 ? mail.text : mail.text.slice(0, cut)).slice(0, 20_000)
  const delayed = DELAYED.test(notice) || /\bdelay/i.test(mail.subject)
  const givenUp = GIVEN_UP.test(notice)
  const failed = FAILED.test(notice) || FAILED.test(mail.subject)
  if (!delayed && !givenUp && !failed) return null

  const enhanced = statusAmong(notice.split('\n'))
  const status = enhanced ?? BASIC_CODE.exec(notice)?.[1] ?? null
  const permanent = givenUp || status?.startsWith('5') || (!delayed && !status?.startsWith('4'))
  const named = failedHeader
    ? failedHeader.split(',')
    : (notice.match(ADDRESS) ?? []).filter((address) => !MAILER.test(address))
  const own = new Set([mail.from?.address, ...recipientsOfHeader(mail.headers.get('to'))])
  return {
    format: 'plain',
    permanent: !!permanent,
    recipients: unique(named.map((address) => address.trim().toLowerCase())).filter(
      (address) => address && !own.has(address)
    ),
    status,
    cause: causeOf(enhanced, notice),
    diagnostic: oneLine(diagnosticLine(notice)),
  }
}

function recipientsOfHeader(value: string | undefined) {
  return (value?.match(ADDRESS) ?? []).map((address) => address.toLowerCase())
}

/** The line quoting the remote server's answer (a 4xx/5xx code), if the notice has one. */
function diagnosticLine(notice: string): string | null {
  return notice.split('\n').find((line) => /(?<![\d.])[45]\d\d[ -]/.test(line)) ?? null
}

function oneLine(text: string | null): string | null {
  const line = text?.replace(/\s+/g, ' ').trim().slice(0, 300)
  return line || null
}

function unique(addresses: (string | null)[]): string[] {
  return [...new Set(addresses.filter((address): address is string => !!address))]
}
