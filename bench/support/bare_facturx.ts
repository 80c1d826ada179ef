/*
| The Factur-X baseline: the same PDFs read with pdf-lib and fast-xml-parser
| alone, in one process, one after the other: the document loaded, the
| embedded CII XML found by name and inflated, parsed, its number, amount and
| due date picked. No worker thread, no limits, no HTTP, no storage.
| Args: <pdf>… Prints {"ms":…,"invoices":[…]} and exits.
*/
import { readFile } from 'node:fs/promises'
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

const XML_NAMES = ['factur-x.xml', 'zugferd-invoice.xml', 'xrechnung.xml']
const files = await Promise.all(process.argv.slice(2).map((path) => readFile(path)))
const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true })

function embeddedXml(document: PDFDocument): Uint8Array | null {
  const names = document.catalog.lookupMaybe(PDFName.of('Names'), PDFDict)
  const tree = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict)
  const list = tree?.lookupMaybe(PDFName.of('Names'), PDFArray)
  for (let index = 0; list && index + 1 < list.size(); index += 2) {
    const name = list.lookup(index)
    if (!(name instanceof PDFString || name instanceof PDFHexString)) continue
    if (!XML_NAMES.includes(name.decodeText())) continue
    const spec = list.lookup(index + 1, PDFDict)
    const stream = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'))
    if (!(stream instanceof PDFRawStream)) continue
    return decodePDFRawStream(stream).decode()
  }
  return null
}

const started = performance.now()
const invoices = []
for (const bytes of files) {
  const document = await PDFDocument.load(bytes, { updateMetadata: false })
  const xml = embeddedXml(document)
  if (!xml) throw new Error('no embedded Factur-X XML')
  const invoice = parser.parse(Buffer.from(xml).toString('utf8'))['CrossIndustryInvoice']
  const settlement = invoice.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement
  invoices.push({
    number: String(invoice.ExchangedDocument.ID),
    amount: String(settlement.SpecifiedTradeSettlementHeaderMonetarySummation.DuePayableAmount),
    dueDate:
      settlement.SpecifiedTradePaymentTerms?.DueDateDateTime?.DateTimeString?.['#text'] ?? null,
  })
}
console.log(JSON.stringify({ ms: performance.now() - started, invoices }))
