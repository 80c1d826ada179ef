import type User from '#models/user'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class UserTransformer extends BaseTransformer<User> {
  toObject() {
    return this.pick(this.resource, [
      'id',
      'email',
      'fullName',
      'rubis',
      'timezone',
      'locale',
      'relanceOffsets',
      'emailVerifiedAt',
      'checkinBeforeEachRelance',
      'paymentInstructions',
      'latePenaltyRate',
      'thankClientsOnPayment',
      'createdAt',
    ])
  }
}
