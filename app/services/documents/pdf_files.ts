import { create as contentDisposition } from 'content-disposition'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'
import InvalidDocumentException from '#exceptions/invalid_document_exception'

/**
 * What makes an uploaded file a PDF we keep, and the names it goes by.
 * A PDF is known by its bytes, never by its name or the content type the
 * client sent.
 */

export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

const PDF_HEADER = Buffer.from('%PDF-')
const PDF_END = Buffer.from('%%EOF')
// Readers look for the end marker in the last 1,024 bytes (PDF 1.7, H.3)
const END_WINDOW_BYTES = 1024

/** `"name"`, for messages: cut short, controls dropped. */
export function quotedName(name: string | null) {
  const shown = cleanUploadName(name) ?? 'upload'
  return `"${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`
}

/**
 * Refuses what is not a whole PDF of at most 5 MB: 413 past the size,
 * 422 for an empty file, another format (a ZIP, an image, HTML…), or a
 * PDF cut short (no %%EOF at its end).
 */
export function assertPdf(bytes: Uint8Array, name: string | null) {
  const file = quotedName(name)
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new PayloadTooLargeException(
      `The file ${file} is over the ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB limit for a PDF`
    )
  }
  if (bytes.length === 0) throw new InvalidDocumentException(`The file ${file} is empty`)
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (!buffer.subarray(0, PDF_HEADER.length).equals(PDF_HEADER)) {
    throw new InvalidDocumentException(
      `The file ${file} is not a PDF: it does not start with %PDF-`
    )
  }
  if (!buffer.subarray(-END_WINDOW_BYTES).includes(PDF_END)) {
    throw new InvalidDocumentException(
      `The file ${file} is not a complete PDF: it does not end with %%EOF (cut short?)`
    )
  }
}

// C0 and C1 controls, zero-width characters and bidi controls: nothing a name shows
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g

/**
 * The name a file was uploaded with, fit to show: its last path segment
 * (browsers on Windows send C:\fakepath\…), invisible characters dropped,
 * 255 characters at most; null when nothing is left.
 */
export function cleanUploadName(name: string | null | undefined): string | null {
  const last = (name ?? '').split(/[/\\]/).pop() ?? ''
  const cleaned = last.normalize('NFC').replace(INVISIBLE, '').trim()
  return cleaned ? [...cleaned].slice(0, 255).join('') : null
}

/**
 * `<number>.pdf`, safe as a file name on every system: path separators and
 * the characters Windows refuses become `-`, invisible ones go, no leading
 * dot. An invoice number is 1–50 printable characters.
 */
export function pdfNameOf(invoiceNumber: string) {
  const base = invoiceNumber
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(/[/\\:*?"<>|]+/g, '-')
    .replace(/^[\s.-]+|[\s.]+$/g, '')
  return `${base || 'invoice'}.pdf`
}

/** The name in plain ASCII, for clients that do not read `filename*`. */
function asciiFallback(filename: string) {
  return (
    filename
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^\x20-\x7e]|["\\%]/g, '_')
      .trim() || 'document.pdf'
  )
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…`: the name as given in
 * RFC 5987 encoding, and an ASCII fallback.
 */
export function attachmentDisposition(filename: string) {
  const safe = filename.replace(INVISIBLE, '').replace(/[/\\]/g, '-')
  return contentDisposition(safe, { fallback: asciiFallback(safe) })
}
