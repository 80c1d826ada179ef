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

// PostgreSQL dates start at year 1 (luxon accepts year 0)
const calendarDateRule = vine.createRule((value, _options, field) => {
  if (typeof value !== 'string') return
  const date = DateTime.fromISO(value, { zone: 'utc' })
  if (!date.isValid || date.year < 1) {
    field.report('The {{ field }} field must be a real calendar date', 'date', field)
  }
})

// PostgreSQL text cannot hold a NUL character
const noNulCharacterRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && value.includes('\u0000')) {
    field.report('The {{ field }} field must not contain a NUL character', 'noNul', field)
  }
})

// UTF-8 (and so PostgreSQL) cannot hold a lone surrogate: it would be stored
// altered, and some checks (the email one) throw on it
const wellFormedRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && !value.isWellFormed()) {
    field.report('The {{ field }} field must be well-formed Unicode text', 'wellFormed', field)
  }
})

/** A string checked for lone surrogates before any other rule sees it. */
const text = () => vine.string().use(wellFormedRule())

export const email = () => text().trim().toLowerCase().email().maxLength(254)

export const personName = () => text().trim().minLength(1).maxLength(200).use(noNulCharacterRule())

export const timezone = () => text().trim().maxLength(64).use(ianaTimezoneRule())

export const locale = () => vine.enum(['fr', 'en'] as const)

/** A calendar date written YYYY-MM-DD, as a UTC luxon date. */
export const calendarDate = () =>
  vine
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .use(calendarDateRule())
    // VineJS also calls the transform with null when the field is `.nullable()`
    .transform((value) =>
      value === null ? (null as never) : DateTime.fromISO(value, { zone: 'utc' })
    )

export const invoiceNumber = () =>
  text().trim().minLength(1).maxLength(100).use(noNulCharacterRule())

/**
 * Money in integer cents; the database column is bigint but amounts stay well inside 2^53.
 * Strict: a JSON number only (VineJS would otherwise read `true` or `[5]` as numbers).
 */
export const amountCents = () =>
  vine.number({ strict: true }).withoutDecimals().positive().max(1e13)

export const currency = () =>
  vine
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/)

/**
 * Free text of several lines (payment instructions, a template body): no
 * NUL, well-formed, at most `max` characters.
 */
export const plainText = (max: number) =>
  text().trim().minLength(1).maxLength(max).use(noNulCharacterRule())

/** An annual rate in percent, 0 to 100 with at most two decimals. */
export const percentRate = () => vine.number({ strict: true }).min(0).max(100).decimal([0, 2])

export const relanceOffsets = () =>
  vine
    .array(vine.number({ strict: true }).withoutDecimals().min(1).max(365))
    .minLength(1)
    .maxLength(10)
    .distinct()

/** A JSON boolean only: VineJS would otherwise read "1" or "on" as true. */
export const flag = () => vine.boolean({ strict: true })

export const page = () => vine.number().withoutDecimals().min(1).max(1_000_000).optional()

export const perPage = () => vine.number().withoutDecimals().min(1).max(100).optional()
