import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import InvoiceTransformer from '#transformers/invoice_transformer'
import {
  createInvoiceValidator,
  holdInvoiceValidator,
  listInvoicesValidator,
  updateInvoiceValidator,
} from '#validators/invoice'
import { holdInvoice, releaseInvoice } from '#services/holds/invoice_holds'
import { createInvoice } from '#services/invoices/create_invoices'
import { updateInvoice } from '#services/invoices/update_invoice'
import { cancelInvoice } from '#services/invoices/cancel_invoice'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { reopenInvoice } from '#services/invoices/reopen_invoice'
import {
  findInvoiceForUpdate,
  findInvoiceWithDetails,
  listInvoices,
} from '#services/invoices/invoice_queries'

export default class InvoicesController {
  async index({ auth, request }: HttpContext) {
    const filters = await request.validateUsing(listInvoicesValidator)
    return listInvoices(auth.getUserOrFail().id, filters)
  }

  async store({ auth, request, response, serialize }: HttpContext) {
    const payload = await request.validateUsing(createInvoiceValidator)
    const user = auth.getUserOrFail()
    const invoice = await db.transaction((trx) => createInvoice(user, payload, trx))
    response.status(201)
    return serialize(
      InvoiceTransformer.transform(await findInvoiceWithDetails(user.id, invoice.id))
    )
  }

  async show({ auth, params, serialize }: HttpContext) {
    const invoice = await findInvoiceWithDetails(auth.getUserOrFail().id, params.id)
    return serialize(InvoiceTransformer.transform(invoice))
  }

  async update({ auth, params, request, serialize }: HttpContext) {
    const changes = await request.validateUsing(updateInvoiceValidator)
    const user = auth.getUserOrFail()
    await db.transaction(async (trx) =>
      updateInvoice(user, await findInvoiceForUpdate(user.id, params.id, trx), changes, trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(user.id, params.id)))
  }

  async markPaid({ auth, params, serialize }: HttpContext) {
    const userId = auth.getUserOrFail().id
    await db.transaction(async (trx) =>
      markInvoicePaid(await findInvoiceForUpdate(userId, params.id, trx), { via: 'manual' }, trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(userId, params.id)))
  }

  async cancel({ auth, params, serialize }: HttpContext) {
    const userId = auth.getUserOrFail().id
    await db.transaction(async (trx) =>
      cancelInvoice(await findInvoiceForUpdate(userId, params.id, trx), trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(userId, params.id)))
  }

  async reopen({ auth, params, serialize }: HttpContext) {
    const user = auth.getUserOrFail()
    await db.transaction(async (trx) =>
      reopenInvoice(user, await findInvoiceForUpdate(user.id, params.id, trx), trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(user.id, params.id)))
  }

  async hold({ auth, params, request, serialize }: HttpContext) {
    const payload = await request.validateUsing(holdInvoiceValidator)
    const user = auth.getUserOrFail()
    await db.transaction(async (trx) =>
      holdInvoice(user, await findInvoiceForUpdate(user.id, params.id, trx), payload, trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(user.id, params.id)))
  }

  async release({ auth, params, serialize }: HttpContext) {
    const userId = auth.getUserOrFail().id
    await db.transaction(async (trx) =>
      releaseInvoice(await findInvoiceForUpdate(userId, params.id, trx), trx)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(userId, params.id)))
  }
}
