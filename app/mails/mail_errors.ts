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
