import type CheckinTask from '#models/checkin_task'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class CheckinTaskTransformer extends BaseTransformer<CheckinTask> {
  toObject() {
    return this.pick(this.resource, [
      'status',
      'answer',
      'reason',
      'scheduledAt',
      'sentAt',
      'answeredAt',
    ])
  }
}
