import type WebhookEndpoint from '#models/webhook_endpoint'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class WebhookEndpointTransformer extends BaseTransformer<WebhookEndpoint> {
  toObject() {
    return this.pick(this.resource, [
      'id',
      'url',
      'events',
      'failingSince',
      'disabledAt',
      'createdAt',
    ])
  }

  /** The answer to its creation: the signing secret, shown this once. */
  withSecret() {
    return { ...this.toObject(), secret: this.resource.signingSecret }
  }
}
