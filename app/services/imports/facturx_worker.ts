/*
| The worker thread that reads Factur-X / ZUGFeRD data out of a PDF, for
| facturx_reader.ts. A PDF is untrusted input: parsing one is CPU work that
| must not hold the web process's event loop, and a crafted one can ask for
| much time or memory. Here it runs apart, with a heap limit and a deadline
| set by the reader, and every decoding is bounded.
|
| Plain TypeScript that Node runs as it is (types stripped): it imports no
| module of the app.
*/
import { createRequire } from 'node:module'
import { getHeapStatistics } from 'node:v8'
import { parentPort } from 'node:worker_threads'
import { inflateSync } from 'node:zlib'
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
  decodePDFRawStream,
} from 'pdf-lib'
import { XMLParser } from 'fast-xml-parser'
import type { FacturXReply, FacturXRequest, FacturXResult } from '#services/imports/facturx_reader'

/** The names Factur-X 1.0, ZUGFeRD 2.x and its XRechnung profile give the XML. */
const XML_NAMES = ['factur-x.xml', 'zugferd-invoice.xml', 'xrechnung.xml']

/** An invoice's CII XML is tens of KB; thousands of lines stay under this. */
const MAX_XML_BYTES = 2 * 1024 * 1024

/** Any stream pdf-lib decodes (object streams, cross-reference streams): at most this much. */
const MAX_DECODED_STREAM_BYTES = 16 * 1024 * 1024

/** Attachments looked at in the name tree, and its depth: real files have a handful. */
const MAX_FILE_SPECS = 200
const MAX_TREE_DEPTH = 16

/** Why a PDF is refused, in words that follow "The file … is refused: ". */
class RefusedPdf extends Error {}

/**
 * pdf-lib decodes every object stream in full while it loads a document,
 * into a buffer it doubles without limit: a 1 MB deflate bomb asks for
 * gigabytes. Every decoding stream of pdf-lib goes through this method,
 * which now refuses past the limit. pdf-lib's lenient parser skips an
 * object that fails: `overflowed` tells the document is refused all the same.
 */
const require = createRequire(import.meta.url)
const DecodeStream = require('pdf-lib/cjs/core/streams/DecodeStream.js').default
const ensureBuffer = DecodeStream.prototype.ensureBuffer
let overflowed = false
DecodeStream.prototype.ensureBuffer = function (this: unknown, requested: number) {
  if (requested > MAX_DECODED_STREAM_BYTES) {
    overflowed = true
    throw new RefusedPdf(BOMB)
  }
  return ensureBuffer.call(this, requested)
}
const BOMB = 'a compressed part of it expands to more than 16 MB'

function fileName(spec: PDFDict): string | null {
  for (const key of ['UF', 'F']) {
    const value = spec.lookup(PDFName.of(key))
    if (value instanceof PDFString || value instanceof PDFHexString) return value.decodeText()
  }
  return null
}

/** The file specifications of the document: its EmbeddedFiles name tree, and its /AF array. */
function fileSpecs(document: PDFDocument): PDFDict[] {
  const specs: PDFDict[] = []
  const seen = new Set<unknown>()
  const visit = (node: PDFDict, depth: number) => {
    if (seen.has(node) || depth > MAX_TREE_DEPTH || specs.length >= MAX_FILE_SPECS) return
    seen.add(node)
    const names = node.lookupMaybe(PDFName.of('Names'), PDFArray)
    for (let index = 1; names && index < names.size(); index += 2) {
      const spec = names.lookup(index)
      if (spec instanceof PDFDict) specs.push(spec)
    }
    const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray)
    for (let index = 0; kids && index < kids.size(); index++) {
      const kid = kids.lookup(index)
      if (kid instanceof PDFDict) visit(kid, depth + 1)
    }
  }
  const tree = document.catalog
    .lookupMaybe(PDFName.of('Names'), PDFDict)
    ?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict)
  if (tree) visit(tree, 0)
  const associated = document.catalog.lookupMaybe(PDFName.of('AF'), PDFArray)
  for (let index = 0; associated && index < Math.min(associated.size(), MAX_FILE_SPECS); index++) {
    const spec = associated.lookup(index)
    if (spec instanceof PDFDict) specs.push(spec)
  }
  return specs
}

/** The bytes of an embedded file, decoded within MAX_XML_BYTES. */
function embeddedBytes(spec: PDFDict): Uint8Array | null {
  const files = spec.lookupMaybe(PDFName.of('EF'), PDFDict)
  const stream = files?.lookup(PDFName.of('F')) ?? files?.lookup(PDFName.of('UF'))
  if (!(stream instanceof PDFRawStream)) return null
  const filter = stream.dict.lookup(PDFName.of('Filter'))
  const filters = filter instanceof PDFArray ? filter.asArray() : filter ? [filter] : []
  const tooLarge = () => new RefusedPdf('its invoice XML is over 2 MB')
  let bytes: Uint8Array
  if (filters.length === 0) {
    bytes = stream.contents
  } else if (
    filters.length === 1 &&
    filters[0] === PDFName.of('FlateDecode') &&
    !stream.dict.has(PDFName.of('DecodeParms'))
  ) {
    try {
      bytes = inflateSync(stream.contents, { maxOutputLength: MAX_XML_BYTES })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge()
      throw new RefusedPdf('its invoice XML does not decompress')
    }
  } else {
    bytes = decodePDFRawStream(stream).decode()
  }
  if (bytes.length > MAX_XML_BYTES) throw tooLarge()
  return bytes
}

// The five entities XML predefines, and character references: nothing else is expanded
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
function decodeEntities(value: string) {
  return value.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/gi, (whole, name) => {
    if (name[0] !== '#') return PREDEFINED[name.toLowerCase()] ?? whole
    const code =
      name[1] === 'x' || name[1] === 'X'
        ? Number.parseInt(name.slice(2), 16)
        : Number(name.slice(1))
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })
}

type XmlNode = Record<string, unknown> | string | undefined

const children = (node: XmlNode, name: string): XmlNode[] => {
  if (!node || typeof node !== 'object') return []
  const value = node[name]
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]) as XmlNode[]
}

const child = (node: XmlNode, ...path: string[]): XmlNode =>
  path.reduce<XmlNode>((current, name) => children(current, name)[0], node)

function text(node: XmlNode): string | null {
  const raw = typeof node === 'object' && node !== null ? node['#text'] : node
  if (typeof raw !== 'string') return null
  const value = decodeEntities(raw).trim()
  return value === '' ? null : value
}

const attribute = (node: XmlNode, name: string) =>
  typeof node === 'object' && node !== null && typeof node[`@${name}`] === 'string'
    ? (node[`@${name}`] as string)
    : null

/** The fields Relance takes from a CII invoice (UN/CEFACT CrossIndustryInvoice), as written. */
function ciiFields(xml: Uint8Array) {
  let source: string
  try {
    // A UTF-8 BOM, which factur-x.xml files often start with, is dropped
    source = new TextDecoder('utf-8', { fatal: true }).decode(xml)
  } catch {
    throw new RefusedPdf('its invoice XML is not UTF-8 text')
  }
  // No DTD: CII never has one, and entity tricks (billion laughs, external entities) need one
  if (/<!DOCTYPE|<!ENTITY/i.test(source)) {
    throw new RefusedPdf('its invoice XML declares a DTD or entities, which an invoice never does')
  }
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    // Values stay strings as written: "471102" is a number, "104.90" an amount
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    htmlEntities: false,
  })
  let document: XmlNode
  try {
    document = parser.parse(source, true)
  } catch (error) {
    throw new RefusedPdf(
      `its invoice XML is not well-formed (${String((error as Error).message).slice(0, 120)})`
    )
  }
  const invoice = child(document, 'CrossIndustryInvoice')
  if (!invoice) return null
  const transaction = child(invoice, 'SupplyChainTradeTransaction')
  const buyer = child(transaction, 'ApplicableHeaderTradeAgreement', 'BuyerTradeParty')
  const settlement = child(transaction, 'ApplicableHeaderTradeSettlement')
  const currency = text(child(settlement, 'InvoiceCurrencyCode'))
  const totals = child(settlement, 'SpecifiedTradeSettlementHeaderMonetarySummation')
  // An amount in the invoice's currency: a second GrandTotalAmount may give the tax currency
  const amount = (name: string) => {
    const amounts = children(totals, name)
    const inCurrency = amounts.find((node) => {
      const unit = attribute(node, 'currencyID')
      return unit === null || unit === currency
    })
    return text(inCurrency)
  }
  const buyerEmail = children(buyer, 'URIUniversalCommunication')
    .map((node) => child(node, 'URIID'))
    .find((node) => attribute(node, 'schemeID') === 'EM' || /@/.test(text(node) ?? ''))
  const dueDate = children(settlement, 'SpecifiedTradePaymentTerms')
    .map((terms) => child(terms, 'DueDateDateTime', 'DateTimeString'))
    .find((node) => text(node) !== null)
  const issueDate = child(invoice, 'ExchangedDocument', 'IssueDateTime', 'DateTimeString')
  return {
    number: text(child(invoice, 'ExchangedDocument', 'ID')),
    typeCode: text(child(invoice, 'ExchangedDocument', 'TypeCode')),
    buyerName: text(child(buyer, 'Name')),
    buyerEmail: text(buyerEmail),
    currency,
    duePayableAmount: amount('DuePayableAmount'),
    grandTotalAmount: amount('GrandTotalAmount'),
    issueDate: text(issueDate),
    issueDateFormat: attribute(issueDate, 'format'),
    dueDate: text(dueDate),
    dueDateFormat: attribute(dueDate, 'format'),
  }
}

async function read(bytes: Uint8Array): Promise<FacturXResult> {
  let document: PDFDocument
  overflowed = false
  try {
    document = await PDFDocument.load(bytes, {
      ignoreEncryption: true,
      updateMetadata: false,
      throwOnInvalidObject: false,
      parseSpeed: Number.POSITIVE_INFINITY,
    })
  } catch (error) {
    if (error instanceof RefusedPdf) throw error
    throw new RefusedPdf(overflowed ? BOMB : 'it cannot be read as a PDF')
  }
  if (overflowed) throw new RefusedPdf(BOMB)
  const spec = fileSpecs(document).find((candidate) =>
    XML_NAMES.includes((fileName(candidate) ?? '').trim().toLowerCase())
  )
  if (!spec) return { kind: 'none' }
  const xmlName = fileName(spec)!.trim()
  const xml = embeddedBytes(spec)
  const fields = xml && ciiFields(xml)
  return fields ? { kind: 'invoice', xmlName, fields } : { kind: 'none' }
}

// Silences pdf-lib's console warnings about damaged objects (the reader decides what to say),
// and any other output: the reader never reads it, and the worker lives on
for (const method of ['debug', 'error', 'info', 'log', 'trace', 'warn'] as const) {
  console[method] = () => {}
}

parentPort!.on('message', async ({ id, bytes }: FacturXRequest) => {
  let result: FacturXResult
  try {
    result = await read(bytes)
  } catch (error) {
    result = {
      kind: 'refused',
      reason: error instanceof RefusedPdf ? error.message : 'it cannot be read as a PDF',
    }
  }
  // The reader replaces a worker that keeps too much of what it read
  const heapBytes = getHeapStatistics().used_heap_size
  parentPort!.postMessage({ id, result, heapBytes } satisfies FacturXReply)
})
