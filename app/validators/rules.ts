import vine from '@vinejs/vine'
import { DateTime, IANAZone } from 'luxon'
import { electronicFormatIBAN, isValidBIC, isValidIBAN } from 'ibantools'
import { addCalendarDays } from '#support/business_calendar'

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

// C0 and C1 controls (NUL, TAB, CR and LF included), DEL, and the Unicode
// line and paragraph separators: in a name or an address they would start a
// new line in an email header or body
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u

const noControlCharactersRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && CONTROL_CHARACTERS.test(value)) {
    field.report(
      'The {{ field }} field must not contain control characters such as line breaks or tabs',
      'controlCharacters',
      field
    )
  }
})

// Free text keeps its lines, but PostgreSQL text cannot hold a NUL character
const noNulCharacterRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && value.includes('\u0000')) {
    field.report('The {{ field }} field must not contain a NUL character', 'noNul', field)
  }
})

// Marks, embeddings, overrides and isolates: they reorder how the text around
// them is displayed ("\u202egnp.exe" reads "exe.png")
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

const noBidiControlsRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && BIDI_CONTROLS.test(value)) {
    field.report(
      'The {{ field }} field must not contain bidirectional text controls',
      'bidiControls',
      field
    )
  }
})

// A name is shown as the sender of the emails sent on the user's behalf:
// `PayPal <security@paypal.com>` must not read as an address there. Looked
// for after NFKC normalization, as mail clients may fold look-alikes: the
// full-width ＠＜＞＂ and the small ﹫﹤﹥ are refused too
const ADDRESS_CHARACTERS = /[<>@"]/

const noAddressCharactersRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && ADDRESS_CHARACTERS.test(value.normalize('NFKC'))) {
    field.report('The {{ field }} field must not contain <, >, @ or "', 'addressCharacters', field)
  }
})

// An RFC 2047 encoded word (`=?utf-8?b?…?=`) in a header is decoded by mail
// clients: a name holding one could carry an address past the rule above
const ENCODED_WORD = /=\?[\s\S]*\?=/

const noEncodedWordsRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && ENCODED_WORD.test(value.normalize('NFKC'))) {
    field.report(
      'The {{ field }} field must not contain an encoded word such as =?utf-8?…?=',
      'encodedWord',
      field
    )
  }
})

// Controls, format characters (bidi controls, zero-width characters, BOM) and
// line separators: what cannot be seen or printed
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

const printableRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && NON_PRINTABLE.test(value)) {
    field.report('The {{ field }} field must contain printable characters only', 'printable', field)
  }
})

// Characters as people and PostgreSQL count them, by code point: an emoji
// is one character, though two UTF-16 units
const maxCharactersRule = vine.createRule<{ max: number }>((value, { max }, field) => {
  if (typeof value === 'string' && [...value].length > max) {
    field.report(
      `The {{ field }} field must not be greater than ${max} characters`,
      'maxLength',
      field
    )
  }
})

// A quoted local part (`"a b"@example.com`) may hold almost anything, and an
// unquoted address never holds a double quote
const unquotedEmailRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && value.includes('"')) {
    field.report(
      'The {{ field }} field must be a plain email address, without quotes',
      'unquotedEmail',
      field
    )
  }
})

// Check-ins and relances wait in the queue until the due date, or the end of
// a client's pause: a date decades away is a typo, whose jobs would sit in
// Redis for good. The database holds the upper bound too (migration 0013).
const DUE_DATE_YEARS_BACK = 10
export const DATE_YEARS_AHEAD = 5

const dateRangeRule = vine.createRule<{ yearsBack?: number }>((value, { yearsBack }, field) => {
  if (typeof value !== 'string') return
  const today = DateTime.utc().startOf('day')
  const earliest = yearsBack === undefined ? null : today.minus({ years: yearsBack })
  const latest = today.plus({ years: DATE_YEARS_AHEAD })
  const date = DateTime.fromISO(value, { zone: 'utc' })
  if (date > latest || (earliest && date < earliest)) {
    field.report(
      earliest
        ? `The {{ field }} field must be a date between ${earliest.toISODate()} and ${latest.toISODate()}`
        : `The {{ field }} field must be a date on or before ${latest.toISODate()}`,
      'dateRange',
      field
    )
  }
})

/**
 * A calendar date from `min` to `max` days after today (UTC: the user's own
 * today is checked where the zone is known). Runs before the transform.
 */
const withinDaysRule = vine.createRule<{ min: number; max: number }>(
  (value, { min, max }, field) => {
    if (typeof value !== 'string') return
    // The value is a real YYYY-MM-DD by now (the rules before it): days compare as text
    const today = new Date().toISOString().slice(0, 10)
    const earliest = addCalendarDays(today, min)
    const latest = addCalendarDays(today, max)
    if (value < earliest || value > latest) {
      field.report(
        `The {{ field }} field must be a date between ${earliest} and ${latest}`,
        'dateRange',
        field
      )
    }
  }
)

// UTF-8 (and so PostgreSQL) cannot hold a lone surrogate: it would be stored
// altered, and some checks (the email one) throw on it
const wellFormedRule = vine.createRule((value, _options, field) => {
  if (typeof value === 'string' && !value.isWellFormed()) {
    field.report('The {{ field }} field must be well-formed Unicode text', 'wellFormed', field)
  }
})

/** A string checked for lone surrogates before any other rule sees it. */
const text = () => vine.string().use(wellFormedRule())

export const email = () =>
  text()
    .trim()
    .toLowerCase()
    .use(noControlCharactersRule())
    .use(unquotedEmailRule())
    .email()
    .maxLength(254)

/** A user's full name or a client's name: it is shown as the sender or the addressee of emails. */
export const personName = () =>
  text()
    .trim()
    .minLength(1)
    .maxLength(200)
    .use(noControlCharactersRule())
    .use(noBidiControlsRule())
    .use(noAddressCharactersRule())
    .use(noEncodedWordsRule())

export const timezone = () => text().trim().maxLength(64).use(ianaTimezoneRule())

export const locale = () => vine.enum(['fr', 'en'] as const)

const isoDate = () =>
  vine
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .use(calendarDateRule())

// VineJS also calls the transform with null when the field is `.nullable()`
const toDateTime = (value: string) =>
  value === null ? (null as never) : DateTime.fromISO(value, { zone: 'utc' })

/** A calendar date written YYYY-MM-DD, as a UTC luxon date. */
export const calendarDate = () => isoDate().transform(toDateTime)

/** A calendar date from `min` to `max` days after today, as a UTC luxon date. */
export const dateWithinDays = (min: number, max: number) =>
  isoDate().use(withinDaysRule({ min, max })).transform(toDateTime)

/** An invoice's due date: a calendar date within 10 years back and 5 years ahead. */
export const dueDate = () =>
  isoDate()
    .use(dateRangeRule({ yearsBack: DUE_DATE_YEARS_BACK }))
    .transform(toDateTime)

/** The last day of a client's pause: a calendar date at most 5 years ahead. */
export const pauseEndDate = () => isoDate().use(dateRangeRule({})).transform(toDateTime)

/** 1 to 50 printable characters. */
export const invoiceNumber = () =>
  text()
    .trim()
    .minLength(1)
    .use(maxCharactersRule({ max: 50 }))
    .use(printableRule())

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

/** An absolute URL (its own rules check what it may point to), at most 2,048 characters. */
export const absoluteUrl = () =>
  text().trim().minLength(1).maxLength(2048).use(noControlCharactersRule())

export const page = () => vine.number().withoutDecimals().min(1).max(1_000_000).optional()

export const perPage = () => vine.number().withoutDecimals().min(1).max(100).optional()

// Checked with the IBAN's own checksum and country length, then kept without spaces
const ibanRule = vine.createRule((value, _options, field) => {
  if (typeof value !== 'string') return
  const electronic = electronicFormatIBAN(value)
  if (!electronic || !isValidIBAN(electronic)) {
    field.report('The {{ field }} field must be a valid IBAN', 'iban', field)
    return
  }
  field.mutate(electronic, field)
})

const bicRule = vine.createRule((value, _options, field) => {
  if (typeof value !== 'string') return
  const bic = value.replace(/\s+/g, '').toUpperCase()
  if (!isValidBIC(bic)) {
    field.report('The {{ field }} field must be a valid BIC', 'bic', field)
    return
  }
  field.mutate(bic, field)
})

/** An IBAN, spaces allowed as people write it, stored without. */
export const iban = () => text().trim().maxLength(64).use(ibanRule())

/** A BIC (8 or 11 characters). */
export const bic = () => text().trim().maxLength(16).use(bicRule())
