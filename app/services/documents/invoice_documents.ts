import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { HttpContext } from '@adonisjs/core/http'
import { Exception } from '@adonisjs/core/exceptions'
import Invoice from '#models/invoice'
import { findOwned } from '#support/owned_records'
import {
  documentExists,
  documentStream,
  removeDocuments,
  withStoredDocuments,
} from '#services/documents/document_storage'
import {
  assertPdf,
  attachmentDisposition,
  cleanUploadName,
  pdfNameOf,
} from '#services/documents/pdf_files'

export type UploadedPdf = { clientName: string | null; bytes: Uint8Array }

/**
 * Makes the upload the invoice's PDF: checked (a whole PDF, ≤ 5 MB), written
 * under a new key, then recorded with the invoice row locked. A PDF it
 * replaces is deleted once that is committed; a failure deletes the new one.
 */
export async function attachInvoiceDocument(
  userId: number,
  invoiceId: number,
  upload: UploadedPdf
) {
  assertPdf(upload.bytes, upload.clientName)
  // Another user's invoice is a 404 before anything is written
  await findOwned(Invoice, userId, invoiceId)
  let replaced: string | null = null
  await withStoredDocuments(userId, [upload.bytes], ([path]) =>
    db.transaction(async (trx) => {
      const invoice = await findOwned(Invoice, userId, invoiceId, trx)
      replaced = invoice.documentPath
      await invoice
        .useTransaction(trx)
        .merge({
          documentPath: path,
          documentFilename: cleanUploadName(upload.clientName) ?? pdfNameOf(invoice.number),
          documentSizeBytes: upload.bytes.length,
          documentUploadedAt: DateTime.now(),
        })
        .save()
    })
  )
  if (replaced) await removeDocuments([replaced])
}

/** Removes the invoice's PDF (none: nothing to do); the file goes once that is committed. */
export async function removeInvoiceDocument(userId: number, invoiceId: number) {
  const removed = await db.transaction(async (trx) => {
    const invoice = await findOwned(Invoice, userId, invoiceId, trx)
    const path = invoice.documentPath
    if (path) {
      await invoice
        .useTransaction(trx)
        .merge({
          documentPath: null,
          documentFilename: null,
          documentSizeBytes: null,
          documentUploadedAt: null,
        })
        .save()
    }
    return path
  })
  if (removed) await removeDocuments([removed])
}

const noDocument = () => new Exception('This invoice has no document', { status: 404 })

/**
 * Answers the invoice's PDF as a download named `filename`: never shown
 * inline, never sniffed as anything else (nosniff is on every response).
 */
export async function sendInvoiceDocument(
  response: HttpContext['response'],
  invoice: Invoice,
  filename: string
) {
  const document = invoice.document
  if (!document || !(await documentExists(document.path))) throw noDocument()
  response
    .header('Content-Type', 'application/pdf')
    .header('Content-Disposition', attachmentDisposition(filename))
    .header('Content-Length', String(document.sizeBytes))
  response.stream(await documentStream(document.path), () => [
    'The document could not be read',
    500,
  ])
}
