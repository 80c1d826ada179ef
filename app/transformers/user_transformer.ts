import type User from '#models/user'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class UserTransformer extends BaseTransformer<User> {
  toObject() {
    const user = this.resource
    return {
      ...this.pick(user, [
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
        'iban',
        'bic',
      ]),
      // Who transfers go to: the holder given, else the full name
      accountHolder: user.transferHolder,
      createdAt: user.createdAt,
    }
  }
}
