import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import type User from '#models/user'
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

  /**
   * The user's invoice locked in a transaction and given to `change` (a
   * use case), then answered as it stands after the commit.
   */
  async #change(
    { auth, params, serialize }: HttpContext,
    change: (invoice: Invoice, trx: TransactionClientContract, user: User) => Promise<unknown>
  ) {
    const user = auth.getUserOrFail()
    await db.transaction(async (trx) =>
      change(await findInvoiceForUpdate(user.id, params.id, trx), trx, user)
    )
    return serialize(InvoiceTransformer.transform(await findInvoiceWithDetails(user.id, params.id)))
  }

  async update(ctx: HttpContext) {
    const changes = await ctx.request.validateUsing(updateInvoiceValidator)
    return this.#change(ctx, (invoice, trx, user) => updateInvoice(user, invoice, changes, trx))
  }

  markPaid(ctx: HttpContext) {
    return this.#change(ctx, (invoice, trx) => markInvoicePaid(invoice, { via: 'manual' }, trx))
  }

  cancel(ctx: HttpContext) {
    return this.#change(ctx, (invoice, trx) => cancelInvoice(invoice, trx))
  }

  reopen(ctx: HttpContext) {
    return this.#change(ctx, (invoice, trx, user) => reopenInvoice(user, invoice, trx))
  }

  async hold(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(holdInvoiceValidator)
    return this.#change(ctx, (invoice, trx, user) => holdInvoice(user, invoice, payload, trx))
  }

  release(ctx: HttpContext) {
    return this.#change(ctx, (invoice, trx) => releaseInvoice(invoice, trx))
  }
}
