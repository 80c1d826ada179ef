import type Client from '#models/client'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class ClientTransformer extends BaseTransformer<Client> {
  toObject() {
    return {
      ...this.pick(this.resource, ['id', 'name', 'email', 'locale', 'isBusiness', 'emailStatus']),
      remindersPausedUntil: this.resource.remindersPausedUntil?.toISODate() ?? null,
    }
  }

  /** The short form embedded in invoices and relances. */
  forEmbedding() {
    return this.pick(this.resource, ['id', 'name', 'email'])
  }
}
