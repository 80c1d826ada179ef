import type { HttpContext } from '@adonisjs/core/http'
import Invoice from '#models/invoice'
import InvoiceTransformer from '#transformers/invoice_transformer'
import { attachDocumentValidator } from '#validators/document'
import { uploadedBytes } from '#middleware/multipart_middleware'
import { findInvoiceWithDetails } from '#services/invoices/invoice_queries'
import { findOwned } from '#support/owned_records'
import {
  attachInvoiceDocument,
  removeInvoiceDocument,
  sendInvoiceDocument,
} from '#services/documents/invoice_documents'

/** An invoice's PDF: upload (or replace), download, remove. */
export default class InvoiceDocumentsController {
  async update({ auth, params, request, serialize }: HttpContext) {
    const { file } = await request.validateUsing(attachDocumentValidator)
    const userId = auth.getUserOrFail().id
    await attachInvoiceDocument(userId, params.id, {
      clientName: file.clientName,
      bytes: uploadedBytes(file),
    })
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(userId, params.id)))
  }

  async show({ auth, params, response }: HttpContext) {
    const invoice = await findOwned(Invoice, auth.getUserOrFail().id, params.id)
    await sendInvoiceDocument(response, invoice, invoice.document?.filename ?? '')
  }

  async destroy({ auth, params, response }: HttpContext) {
    await removeInvoiceDocument(auth.getUserOrFail().id, params.id)
    return response.noContent()
  }
}
