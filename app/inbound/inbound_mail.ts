import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser'

/**
 * An inbound message as classification reads it: its headers, who it says
 * it is from, its text (never its HTML: a message that has only HTML gets
 * the text mailparser makes of it), its attachments by name, and the
 * delivery-status parts of a DSN. A message mailparser cannot read (past
 * its limits on parts and header size) keeps what it could not read in
 * `unreadable`.
 */
export type InboundMail = {
  /** Lowercased header names; the first value of each, as text. */
  headers: Map<string, string>
  messageId: string | null
  from: { address: string; name: string } | null
  date: Date | null
  subject: string
  text: string
  attachments: { filename: string | null; contentType: string; size: number }[]
  /** Each `message/delivery-status` (or global) part, as text. */
  deliveryStatus: string[]
  /** The headers of the returned original (`message/rfc822` or `text/rfc822-headers`), as text. */
  returnedHeaders: string | null
  unreadable: string | null
}

/** The most header bytes of one part: a 1 MB header still reads. */
const MAX_HEAD_SIZE = 2 * 1024 * 1024
/** Past this many MIME parts, a message is unreadable. */
const MAX_PARTS = 1000
/** An HTML-only message past this many characters gets no text made of it. */
const MAX_HTML_TO_TEXT = 2 * 1024 * 1024

const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status'])
const RETURNED_TYPES = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
])

function headerText(value: HeaderValue): string {
  if (typeof value === 'string') return value
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((entry) => headerText(entry as HeaderValue)).join(', ')
  if (value && typeof value === 'object') {
    if ('text' in value && typeof value.text === 'string') return value.text
    if ('value' in value && typeof value.value === 'string') {
      const params = 'params' in value ? (value.params as Record<string, string>) : {}
      return [value.value, ...Object.entries(params).map(([name, param]) => `${name}=${param}`)]
        .filter(Boolean)
        .join('; ')
    }
  }
  return String(value ?? '')
}

function firstAddress(field: AddressObject | AddressObject[] | undefined) {
  const entry = [field ?? []].flat()[0]?.value[0]
  return entry?.address ? { address: entry.address.toLowerCase(), name: entry.name ?? '' } : null
}

const EMPTY: Omit<InboundMail, 'unreadable'> = {
  headers: new Map(),
  messageId: null,
  from: null,
  date: null,
  subject: '',
  text: '',
  attachments: [],
  deliveryStatus: [],
  returnedHeaders: null,
}

/**
 * Parses a raw message. Never throws: a message it cannot read comes back
 * empty, saying why.
 */
export async function readInboundMail(raw: Buffer): Promise<InboundMail> {
  let mail
  try {
    mail = await simpleParser(raw, {
      keepDeliveryStatus: true,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      keepCidLinks: true,
      checksumAlgo: false,
      maxHeadSize: MAX_HEAD_SIZE,
      maxChildNodes: MAX_PARTS,
      maxHtmlLengthToParse: MAX_HTML_TO_TEXT,
    })
  } catch (error) {
    return { ...EMPTY, headers: new Map(), unreadable: (error as Error).message.slice(0, 200) }
  }
  const headers = new Map<string, string>()
  for (const [name, value] of mail.headers) headers.set(name.toLowerCase(), headerText(value))
  const returned = mail.attachments.find((part) => RETURNED_TYPES.has(part.contentType))
  return {
    headers,
    messageId: mail.messageId ?? null,
    from: firstAddress(mail.from),
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null,
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    attachments: mail.attachments
      .filter((part) => !DELIVERY_STATUS_TYPES.has(part.contentType))
      .map((part) => ({
        filename: part.filename ?? null,
        contentType: part.contentType,
        size: part.size,
      })),
    deliveryStatus: mail.attachments
      .filter((part) => DELIVERY_STATUS_TYPES.has(part.contentType))
      .map((part) => part.content.toString('utf8')),
    returnedHeaders: returned ? headerBlock(returned.content) : null,
    unreadable: null,
  }
}

/** The header block at the start of a returned message, at most 64 KB of it. */
function headerBlock(content: Buffer): string {
  const text = content.subarray(0, 64 * 1024).toString('utf8')
  const end = text.search(/\r?\n\r?\n/)
  return end === -1 ? text : text.slice(0, end)
}
