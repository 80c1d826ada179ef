import type WebhookDelivery from '#models/webhook_delivery'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class WebhookDeliveryTransformer extends BaseTransformer<WebhookDelivery> {
  toObject() {
    const delivery = this.resource
    return {
      ...this.pick(delivery, [
        'id',
        'eventType',
        'messageId',
        'status',
        'attempts',
        'lastStatusCode',
        'lastError',
        'deliveredAt',
        'createdAt',
      ]),
      nextAttemptAt: delivery.isScheduled ? delivery.scheduledAt : null,
      attemptLog: delivery.attemptLog,
      payload: delivery.payload,
    }
  }
}
