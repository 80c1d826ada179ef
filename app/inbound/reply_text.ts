import EmailReplyParser from 'email-reply-parser'

/** The most of a reply's own text the freelancer is shown. */
export const REPLY_TEXT_LIMIT = 10_000
/** The excerpt the feed and webhooks carry. */
export const EXCERPT_LIMIT = 500
/**
 * What the quote stripper reads: its expressions grow with the square of a
 * line's length, and the reply's own text comes first anyway.
 */
const STRIP_WINDOW = 20_000

/** C0 controls but tab and newline, DEL, C1 controls, bidi embeddings and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g

/** Text as it may be quoted in a plain-text email: no control or direction characters. */
export function safeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(UNSAFE, '')
}

/** One line of safe text (a subject, a name), at most `limit` characters. */
export function safeLine(text: string, limit = 300): string {
  return safeText(text).replace(/\s+/g, ' ').trim().slice(0, limit)
}

/**
 * The client's own words: the quoted history (`>` lines, "On … wrote:",
 * "Le … a écrit :", Outlook's "From:/De :" block, signatures) stripped by
 * email-reply-parser, controls removed, blank runs folded, at most
 * REPLY_TEXT_LIMIT characters (`truncated` says when cut).
 */
export function replyText(text: string): { text: string; truncated: boolean } {
  const window = safeText(text).slice(0, STRIP_WINDOW)
  let visible: string
  try {
    visible = new EmailReplyParser().read(window).getVisibleText()
  } catch {
    visible = window
  }
  const folded = visible
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  const truncated = folded.length > REPLY_TEXT_LIMIT
  return { text: folded.slice(0, REPLY_TEXT_LIMIT).trimEnd(), truncated }
}

/** The first EXCERPT_LIMIT characters of a reply's text, on one line. */
export function excerptOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > EXCERPT_LIMIT ? `${line.slice(0, EXCERPT_LIMIT - 1)}…` : line
}
