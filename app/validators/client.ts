import vine from '@vinejs/vine'
import { email, flag, locale, page, pauseEndDate, perPage, personName } from '#validators/rules'

export const listClientsValidator = vine.create({
  page: page(),
  perPage: perPage(),
})

export const updateClientValidator = vine.create({
  name: personName().optional(),
  email: email().optional(),
  locale: locale().optional(),
  isBusiness: flag().optional(),
  remindersPausedUntil: pauseEndDate().nullable().optional(),
  // `ok` once the freelancer knows the address works again; a new email sets it too
  emailStatus: vine.enum(['ok', 'bounced'] as const).optional(),
})
