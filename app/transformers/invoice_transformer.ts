import type Invoice from '#models/invoice'
import { BaseTransformer } from '@adonisjs/core/transformers'
import ClientTransformer from '#transformers/client_transformer'
import CheckinTaskTransformer from '#transformers/checkin_task_transformer'
import RelanceTransformer from '#transformers/relance_transformer'

/** The hold in force, or null (none, or lapsed). */
function holdJson(invoice: Invoice) {
  const hold = invoice.activeHold()
  return hold && { reason: hold.reason, since: hold.since, until: hold.until, note: hold.note }
}

/** The invoice's PDF as the API shows it: its storage key stays inside. */
function documentJson(invoice: Invoice) {
  const document = invoice.document
  return (
    document && {
      filename: document.filename,
      sizeBytes: document.sizeBytes,
      uploadedAt: document.uploadedAt,
    }
  )
}

export default class InvoiceTransformer extends BaseTransformer<Invoice> {
  toObject() {
    const invoice = this.resource
    return {
      ...this.pick(invoice, [
        'id',
        'number',
        'status',
        'amountCents',
        'currency',
        'paidAt',
        'paidVia',
      ]),
      issuedAt: invoice.issuedAt?.toISODate() ?? null,
      dueDate: invoice.dueDate.toISODate(),
      hold: holdJson(invoice),
      document: documentJson(invoice),
      client: ClientTransformer.transform(this.whenLoaded(invoice.customer))?.useVariant(
        'forEmbedding'
      ),
      checkin: CheckinTaskTransformer.transform(this.whenLoaded(invoice.checkin) ?? null),
      relances: RelanceTransformer.transform(this.whenLoaded(invoice.relances)),
    }
  }
}
