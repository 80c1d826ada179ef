import vine from '@vinejs/vine'
import { DateTime, IANAZone } from 'luxon'

/**
 * Rule factories shared by every validator of the API.
 */
const ianaTimezoneRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && !IANAZone.isValidZone(value)) {
    field.report('The {{ field }} field must be an IANA time zone', 'timezone', field)
  }
})

const calendarDateRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && !DateTime.fromISO(value, { zone: 'utc' }).isValid) {
    field.report('The {{ field }} field must be a real calendar date', 'date', field)
  }
})

export const email = () => vine.string().trim().toLowerCase().email().maxLength(254)

export const personName = () => vine.string().trim().minLength(1).maxLength(200)

export const timezone = () => vine.string().trim().maxLength(64).use(ianaTimezoneRule())

export const locale = () => vine.enum(['fr', 'en'] as const)

/** A calendar date written YYYY-MM-DD, as a UTC luxon date. */
export const calendarDate = () =>
  vine
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .use(calendarDateRule())
    .transform((value) => DateTime.fromISO(value, { zone: 'utc' }))

export const invoiceNumber = () => vine.string().trim().minLength(1).maxLength(100)

/** Money in integer cents; the database column is bigint but amounts stay well inside 2^53. */
export const amountCents = () => vine.number().withoutDecimals().positive().max(1e13)

export const currency = () =>
  vine
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/)

export const relanceOffsets = () =>
  vine.array(vine.number().withoutDecimals().min(1).max(365)).minLength(1).maxLength(10).distinct()

export const page = () => vine.number().withoutDecimals().min(1).max(1_000_000).optional()

export const perPage = () => vine.number().withoutDecimals().min(1).max(100).optional()
