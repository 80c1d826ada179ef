import vine from '@vinejs/vine'
import { page, perPage } from '#validators/rules'

export const listRelancesValidator = vine.create({
  status: vine.enum(['scheduled', 'sent', 'cancelled', 'failed'] as const).optional(),
  page: page(),
  perPage: perPage(),
})
