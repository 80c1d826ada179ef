import vine from '@vinejs/vine'

/**
 * `PUT /invoices/:id/document`: one file in the multipart field `file`.
 * Whether it is a PDF is read from its bytes (app/services/documents/pdf_files.ts).
 */
export const attachDocumentValidator = vine.create({
  file: vine.file(),
})
