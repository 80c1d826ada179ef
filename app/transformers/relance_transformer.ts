import type Relance from '#models/relance'
import { BaseTransformer } from '@adonisjs/core/transformers'
import ClientTransformer from '#transformers/client_transformer'

export default class RelanceTransformer extends BaseTransformer<Relance> {
  toObject() {
    return this.pick(this.resource, ['sequence', 'status', 'scheduledAt', 'sentAt'])
  }

  /** The `/relances` list: each relance with its invoice and client. */
  forListing() {
    const invoice = this.resource.invoice
    return {
      ...this.pick(this.resource, [
        'id',
        'sequence',
        'status',
        'scheduledAt',
        'sentAt',
        'failureReason',
      ]),
      invoice: {
        id: invoice.id,
        number: invoice.number,
        status: invoice.status,
        amountCents: invoice.amountCents,
        currency: invoice.currency,
        dueDate: invoice.dueDate.toISODate(),
      },
      client: ClientTransformer.transform(invoice.customer).useVariant('forEmbedding'),
    }
  }
}
