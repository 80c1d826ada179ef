import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { errors as vineErrors } from '@vinejs/vine'
import { keepLinkPrivate, renderPrivatePage } from '#support/private_pages'
import { sendInvoiceDocument } from '#services/documents/invoice_documents'
import { pdfNameOf } from '#services/documents/pdf_files'
import Invoice from '#models/invoice'
import {
  clientPageState,
  findInvoiceRowOfPage,
  findPageEmail,
  type ClientPageAction,
} from '#services/client_page/client_page'
import {
  disputeInvoice,
  promisePayment,
  reportPayment,
  type SignalOutcome,
} from '#services/client_page/client_signals'
import {
  disputeInvoiceValidator,
  promisePaymentValidator,
  reportPaymentValidator,
} from '#validators/client_page'
import { renderClientPageError } from '#services/client_page/client_page_errors'

type PageEmail = NonNullable<Awaited<ReturnType<typeof findPageEmail>>>

/** A form's fields checked, then its signal recorded in one transaction. */
async function recordSignal(
  action: ClientPageAction,
  email: PageEmail,
  invoiceId: number,
  body: unknown
): Promise<SignalOutcome> {
  switch (action) {
    case 'paid': {
      const report = await reportPaymentValidator.validate(body)
      return db.transaction((trx) => reportPayment(email, invoiceId, report, trx))
    }
    case 'promise': {
      const promise = await promisePaymentValidator.validate(body)
      return db.transaction((trx) => promisePayment(email, invoiceId, promise, trx))
    }
    case 'dispute': {
      const dispute = await disputeInvoiceValidator.validate(body)
      return db.transaction((trx) => disputeInvoice(email, invoiceId, dispute, trx))
    }
  }
}

/**
 * The client's page behind every relance (`/client/:token`): HTML, no
 * session, no cookie; the link's token is the capability. GET and HEAD
 * change nothing; each form answers 303 to the page, which confirms.
 */
export default class ClientPageController {
  async show(ctx: HttpContext) {
    const token = String(ctx.params.token)
    const email = await findPageEmail(token)
    if (!email) return renderClientPageError(ctx, 404)
    return this.#render(ctx, email, { done: ctx.request.qs().done })
  }

  /**
   * The PDF of one of the page's invoices, as `<number>.pdf`: another
   * client's invoice, or one without a document, is the 404 page.
   */
  async document(ctx: HttpContext) {
    const email = await findPageEmail(String(ctx.params.token))
    const row = email && (await findInvoiceRowOfPage(email, ctx.params.id))
    const invoice = row && Invoice.$createFromAdapterResult(row)
    if (!invoice?.document) return renderClientPageError(ctx, 404)
    keepLinkPrivate(ctx.response)
    await sendInvoiceDocument(ctx.response, invoice, pdfNameOf(invoice.number))
  }

  paid(ctx: HttpContext) {
    return this.#submit(ctx, 'paid')
  }

  promise(ctx: HttpContext) {
    return this.#submit(ctx, 'promise')
  }

  dispute(ctx: HttpContext) {
    return this.#submit(ctx, 'dispute')
  }

  /**
   * Another client's invoice is a 404, one no longer pending a 303 with
   * `done=settled` (nothing recorded), a bad field the page again with its
   * error (422, nothing recorded).
   */
  async #submit(ctx: HttpContext, action: ClientPageAction) {
    const { params, request, response } = ctx
    const token = String(params.token)
    const email = await findPageEmail(token)
    if (!email) return renderClientPageError(ctx, 404)
    const invoice = await findInvoiceRowOfPage(email, params.id)
    if (!invoice) return renderClientPageError(ctx, 404)

    let outcome: SignalOutcome = 'settled'
    if (Invoice.isPending(invoice)) {
      try {
        outcome = await recordSignal(action, email, invoice.id, request.all())
      } catch (error) {
        if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
        const fields = [...new Set((error.messages as { field: string }[]).map((m) => m.field))]
        response.status(422)
        return this.#render(ctx, email, {
          errors: { invoiceId: invoice.id, action, fields, values: request.all() },
        })
      }
    }
    const done = outcome === 'settled' ? 'settled' : action
    return response.redirect().status(303).toPath(`/client/${token}?done=${done}`)
  }

  async #render(
    ctx: HttpContext,
    email: PageEmail,
    options: Parameters<typeof clientPageState>[2]
  ) {
    const state = await clientPageState(String(ctx.params.token), email, options)
    return renderPrivatePage(ctx, 'client_page', state, { dataImages: true })
  }
}
