import vine from '@vinejs/vine'
import { email, locale, personName, relanceOffsets, timezone } from '#validators/rules'

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
  checkinBeforeEachRelance: vine.boolean({ strict: true }).optional(),
})

/** `all: true` signs out every device: all the user's tokens are revoked. */
export const logoutValidator = vine.create({
  all: vine.boolean({ strict: true }).optional(),
})
