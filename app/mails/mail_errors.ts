import env from '#start/env'

type SmtpError = { responseCode?: unknown; code?: unknown; message?: unknown }

/**
 * An SMTP 5xx answer will not change on retry (unknown mailbox, refused
 * content); connection errors and 4xx answers may.
 */
export function isPermanentMailError(error: unknown): boolean {
  const responseCode = (error as SmtpError)?.responseCode
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'ESOCKET',
])

/** A failed send in one line: an unreachable server names itself, an answer quotes its code. */
export function describeMailError(error: unknown): string {
  const { code, responseCode, message } = (error ?? {}) as SmtpError
  const server = `${env.get('SMTP_HOST')}:${env.get('SMTP_PORT')}`
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) {
    return `SMTP server ${server} unreachable (${code})`
  }
  const text = String(message ?? error).split('\n')[0]
  return typeof responseCode === 'number' ? `SMTP ${server} answered ${text}` : text
}

/** What kind of failure a send met: the `reason` label of the emails-failed metric. */
export type MailFailureKind =
  'auth' | 'mailbox_full' | 'address_refused' | 'message_refused' | 'connection' | 'temporary'

export function mailFailureKind(error: unknown): MailFailureKind {
  const failure = (error as { cause?: unknown })?.cause ?? error
  const { code, responseCode, message } = (failure ?? {}) as SmtpError
  // An enhanced status code (RFC 3463) says more than the basic one: 5.2.2 is a full mailbox
  const status = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(String(message ?? ''))
  const detail = status ? `${status[2]}.${status[3]}` : null
  if (code === 'EAUTH' || responseCode === 535) return 'auth'
  if (responseCode === 552 || detail === '2.2') return 'mailbox_full'
  if (typeof responseCode === 'number' && responseCode >= 500) {
    if ([550, 551, 553].includes(responseCode) || detail?.startsWith('1.')) {
      return 'address_refused'
    }
    return 'message_refused'
  }
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection'
  return 'temporary'
}

/**
 * Why an email could not go out, in words a freelancer understands: the
 * client's server refused the address, the mailbox is full… The raw SMTP
 * reply goes to the logs (describeMailError), never to the API.
 */
export function classifyMailFailure(error: unknown, attempts: number): string {
  switch (mailFailureKind(error)) {
    case 'auth':
      return 'Relance could not sign in to its mail server; the team is on it'
    case 'mailbox_full':
      return "the client's mailbox is full"
    case 'address_refused':
      return "the client's mail server refused the address"
    case 'message_refused':
      return "the client's mail server refused the message"
    default:
      return `temporary failure, gave up after ${attempts} ${attempts === 1 ? 'try' : 'tries'}`
  }
}

/**
 * The enhanced status code of a send refused because the recipient's
 * address does not exist (`5.1.x` at RCPT TO, or a bare 550/551/553 there
 * that does not speak of relaying or policy), or null for any other
 * failure: a refused relay or login is Relance's own server, not the
 * client's address.
 */
export function unknownAddressStatus(error: unknown): string | null {
  const failure = ((error as { cause?: unknown })?.cause ?? error) as SmtpError & {
    command?: unknown
    response?: unknown
  }
  if (failure?.command !== 'RCPT TO') return null
  const { responseCode } = failure
  if (typeof responseCode !== 'number' || responseCode < 500 || responseCode >= 600) return null
  const text = String(failure.response ?? failure.message ?? '')
  const status = /(?<![\d.])5\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text)
  if (status) return status[1] === '1' ? status[0] : null
  if (![550, 551, 553].includes(responseCode) || /relay|auth|policy|spam|block/i.test(text)) {
    return null
  }
  return String(responseCode)
}
