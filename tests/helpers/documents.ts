import { readdir, readFile } from 'node:fs/promises'
import { deflateSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import app from '@adonisjs/core/services/app'
import type { ApiClient } from '@japa/api-client'
import User from '#models/user'
import env from '#start/env'
import { fixture } from '#tests/helpers/import_requests'
import { shiftClock } from '#tests/helpers/calendar'

/*
| Invoice documents in tests: the third-party Factur-X samples of
| tests/fixtures/facturx (see its README), PDFs made here, hostile ones, and
| what the local disk holds.
*/

export const SAMPLES = {
  facturX: 'facturx-fr-en16931.pdf',
  prepaid: 'facturx-fr-en16931-prepaid.pdf',
  zugferd: 'zugferd-2p0-en16931.pdf',
  plain: 'plain-invoice-no-xml.pdf',
} as const

export type Upload = { filename: string; bytes: Buffer }

export async function sample(name: keyof typeof SAMPLES): Promise<Upload> {
  return { filename: SAMPLES[name], bytes: await readFile(fixture(`facturx/${SAMPLES[name]}`)) }
}

/**
 * The samples are real invoices issued from 2018 to 2026, and a due date is
 * accepted up to 10 years back: a test that reads their rows runs on a clock
 * of that time, not of whatever year the suite runs in. Moves this process's
 * clock there (it keeps running); the returned function moves it back.
 */
export function whileTheSamplesAreCurrent() {
  return shiftClock(Date.parse('2026-06-01T10:00:00Z') - Date.now())
}

/** A small one-page PDF whose page reads `text`. */
export async function simplePdf(text: string, filename = 'facture.pdf'): Promise<Upload> {
  const document = await PDFDocument.create()
  const page = document.addPage([595, 842])
  page.drawText(text, {
    x: 72,
    y: 760,
    size: 18,
    font: await document.embedFont(StandardFonts.Helvetica),
  })
  return { filename, bytes: Buffer.from(await document.save()) }
}

/** A PDF carrying `xml` as an embedded file named `name` (a Factur-X, or a hostile one). */
export async function pdfWithXml(xml: string, filename: string, name = 'factur-x.xml') {
  const document = await PDFDocument.create()
  document.addPage([595, 842])
  await document.attach(Buffer.from(xml), name, { mimeType: 'text/xml' })
  return { filename, bytes: Buffer.from(await document.save()) }
}

/** The billion laughs: ten levels of ten entities, a gigabyte once expanded. */
export const BILLION_LAUGHS_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE lolz [',
  '<!ENTITY lol "lol">',
  ...Array.from(
    { length: 9 },
    (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level === 0 ? '' : level};`.repeat(10)}">`
  ),
  ']>',
  '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">',
  '<rsm:ExchangedDocument><ram:ID>&lol9;</ram:ID></rsm:ExchangedDocument>',
  '</rsm:CrossIndustryInvoice>',
].join('\n')

/** An external entity: a reader that resolved it would put a local file in the invoice. */
export const EXTERNAL_ENTITY_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
  '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">',
  '<rsm:ExchangedDocument><ram:ID>&secret;</ram:ID></rsm:ExchangedDocument>',
  '</rsm:CrossIndustryInvoice>',
].join('\n')

/** A PDF of a catalog, no page, and one object stream of these deflated bytes. */
function objectStreamPdf(deflated: Buffer, filename: string): Upload {
  const head =
    '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    `3 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${deflated.length} >>\nstream\n`
  return {
    filename,
    bytes: Buffer.concat([
      Buffer.from(head, 'latin1'),
      deflated,
      Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
    ]),
  }
}

/**
 * A PDF whose object stream inflates to 64 MB (of spaces) from 64 KB: what
 * a parser decoding it in full would hold in memory.
 */
export function deflateBombPdf(): Upload {
  return objectStreamPdf(
    deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }),
    'bomb.pdf'
  )
}

let namesPdfs = 0

/**
 * A PDF whose object stream holds `count` names of its own (`/0_0 /0_1 …`,
 * then `/1_0 …`): pdf-lib interns every name for the life of the worker
 * that reads it, so 450,000 leave some 70 MB in its heap of 96, 300,000
 * need some 55 MB, and 1,000,000 exhaust it.
 */
export function manyNamesPdf(count: number, filename: string): Upload {
  const prefix = `${(namesPdfs++).toString(36)}_`
  const names = Array.from({ length: count }, (_, index) => `/${prefix}${index.toString(36)}`)
  return objectStreamPdf(deflateSync(Buffer.from(`4 0 [${names.join(' ')}]`, 'latin1')), filename)
}

/** A ZIP archive named like a PDF. */
export function zipNamedPdf(): Upload {
  // Local file header, then the end of central directory: a real, empty-file ZIP
  const bytes = Buffer.concat([
    Buffer.from('504b0304140000000000000000000000000000000000000000000500000061', 'hex'),
    Buffer.from('2e74787450', 'hex'),
    Buffer.from('504b0506000000000000000000000000000000000000', 'hex'),
  ])
  return { filename: 'facture.pdf', bytes }
}

/** A real PDF, cut in the middle (an interrupted download). */
export async function truncatedPdf(): Promise<Upload> {
  const { bytes } = await sample('facturX')
  return { filename: 'facture-coupee.pdf', bytes: bytes.subarray(0, bytes.length / 2) }
}

/** A PDF just over 5 MB: a real one with a large incompressible attachment. */
export async function oversizedPdf(): Promise<Upload> {
  const document = await PDFDocument.create()
  document.addPage([595, 842])
  const noise = randomBytes(5 * 1024 * 1024 + 1024)
  await document.attach(noise, 'annexe.bin', { mimeType: 'application/octet-stream' })
  return {
    filename: 'lourde.pdf',
    bytes: Buffer.from(await document.save({ useObjectStreams: false })),
  }
}

/** Every file the local disk holds under documents/, as paths relative to it. */
export async function storedDocuments(): Promise<string[]> {
  const root = app.makePath('storage/documents')
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true })
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => `${entry.parentPath.slice(root.length + 1)}/${entry.name}`)
      .sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** PUT /api/v1/invoices/:id/document; the caller checks the answer. */
export function uploadDocument(client: ApiClient, user: User, invoiceId: number, file: Upload) {
  return client
    .put(`/api/v1/invoices/${invoiceId}/document`)
    .loginAs(user)
    .file('file', file.bytes, { filename: file.filename, contentType: 'application/pdf' })
}

/** GET on the test server, the body as bytes (a PDF), with the user's bearer token when given. */
export async function downloadFrom(path: string, user?: User) {
  const headers: Record<string, string> = {}
  if (user) {
    const token = await User.accessTokens.create(user)
    headers.authorization = `Bearer ${token.value!.release()}`
  }
  const response = await fetch(`http://${env.get('HOST')}:${env.get('PORT')}${path}`, { headers })
  return { response, bytes: Buffer.from(await response.arrayBuffer()) }
}

/** Uploads the invoice's PDF, which must be taken. */
export async function attachPdf(client: ApiClient, user: User, invoiceId: number, file: Upload) {
  const response = await uploadDocument(client, user, invoiceId, file)
  if (response.status() !== 200) {
    throw new Error(`PUT document: ${response.status()} ${JSON.stringify(response.body())}`)
  }
  return response.body().data
}

/** POST /api/v1/import-batches with PDFs in `files`; the caller checks the answer. */
export function importPdfs(client: ApiClient, user: User, files: Upload[]) {
  let request = client.post('/api/v1/import-batches').loginAs(user)
  for (const file of files) {
    request = request.file('files', file.bytes, {
      filename: file.filename,
      contentType: 'application/pdf',
    })
  }
  return request
}
