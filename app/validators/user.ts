import vine from '@vinejs/vine'
import {
  bic,
  email,
  iban,
  flag,
  locale,
  percentRate,
  personName,
  plainText,
  relanceOffsets,
  timezone,
} from '#validators/rules'

export const registerValidator = vine.create({
  fullName: personName(),
  email: email(),
  password: vine.string().minLength(8).maxLength(128),
})

export const loginValidator = vine.create({
  email: email(),
  password: vine.string().maxLength(128),
})

export const updateProfileValidator = vine.create({
  fullName: personName().optional(),
  timezone: timezone().optional(),
  locale: locale().optional(),
  relanceOffsets: relanceOffsets().optional(),
  checkinBeforeEachRelance: flag().optional(),
  // null clears them: no instructions, no late-payment interest stated
  paymentInstructions: plainText(1_000).nullable().optional(),
  latePenaltyRate: percentRate().nullable().optional(),
  thankClientsOnPayment: flag().optional(),
  // null clears them; the holder defaults to the full name (70 characters fit a transfer)
  iban: iban().nullable().optional(),
  bic: bic().nullable().optional(),
  accountHolder: personName().maxLength(70).nullable().optional(),
})

/** `all: true` signs out every device: all the user's tokens are revoked. */
export const logoutValidator = vine.create({
  all: flag().optional(),
})
