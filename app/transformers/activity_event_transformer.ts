import type ActivityEvent from '#models/activity_event'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class ActivityEventTransformer extends BaseTransformer<ActivityEvent> {
  toObject() {
    return this.pick(this.resource, ['id', 'type', 'label', 'invoiceId', 'metadata', 'createdAt'])
  }
}
