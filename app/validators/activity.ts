import vine from '@vinejs/vine'
import { page, perPage } from '#validators/rules'

export const listActivityValidator = vine.create({
  page: page(),
  perPage: perPage(),
})
