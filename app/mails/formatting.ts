import { DateTime, Duration, type DurationLikeObject } from 'luxon'
import type { Locale } from '#models/user'

const INTL_LOCALES: Record<Locale, string> = { fr: 'fr-FR', en: 'en-GB' }

/** Building an Intl.NumberFormat costs far more than using one: one per locale and currency. */
const amountFormats = new Map<string, Intl.NumberFormat>()

export function formatAmount(amountCents: number, currency: string, locale: Locale) {
  const key = `${locale} ${currency}`
  let format = amountFormats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(INTL_LOCALES[locale], { style: 'currency', currency })
    amountFormats.set(key, format)
  }
  return format.format(amountCents / 100)
}

const rateFormats = new Map<Locale, Intl.NumberFormat>()

/** A percentage as a number alone ("10,5", "10.5"): the texts place the sign. */
export function formatRate(rate: number, locale: Locale) {
  let format = rateFormats.get(locale)
  if (!format) {
    format = new Intl.NumberFormat(INTL_LOCALES[locale], { maximumFractionDigits: 2 })
    rateFormats.set(locale, format)
  }
  return format.format(rate)
}

export function formatDate(date: DateTime, locale: Locale) {
  return date.setLocale(INTL_LOCALES[locale]).toLocaleString(DateTime.DATE_FULL)
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** formatDate's words for a plain Date: one Intl.DateTimeFormat per locale and zone, not luxon per call. */
function dayFormat(locale: Locale, timeZone: string) {
  const key = `${locale} ${timeZone}`
  let format = dayFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(INTL_LOCALES[locale], { ...DateTime.DATE_FULL, timeZone })
    dayFormats.set(key, format)
  }
  return format
}

/** "2 décembre 2026": the calendar day a moment falls on in the zone, as formatDate writes it. */
export function formatDayIn(moment: Date, timezone: string, locale: Locale) {
  return dayFormat(locale, timezone).format(moment)
}

/** "2 décembre 2026": a calendar date (YYYY-MM-DD, such as a due date), as formatDate writes it. */
export function formatCalendarDate(day: string, locale: Locale) {
  return dayFormat(locale, 'UTC').format(Date.parse(day))
}

/** "3 Dec 2026, 10:42": a moment, such as when a client's reply was written. */
export function formatDateTime(moment: DateTime, locale: Locale) {
  return moment.setLocale(INTL_LOCALES[locale]).toLocaleString(DateTime.DATETIME_MED)
}

/** 02/12/2026: a date the client gave, as it is written on a bank statement. */
export function formatShortDate(date: DateTime, locale: Locale) {
  return date.setLocale(INTL_LOCALES[locale]).toLocaleString(DateTime.DATE_SHORT)
}

/**
 * "24 hours", "24 heures": a lifetime written from the constant that
 * enforces it, with the plain space a sentence of the email has elsewhere.
 */
export function formatDuration(duration: DurationLikeObject, locale: Locale) {
  return Duration.fromObject(duration, { locale: INTL_LOCALES[locale] })
    .toHuman()
    .replaceAll('\u00a0', ' ')
}

/** "invoice FR-1", "invoices FR-1 and FR-2"; "la facture FR-1", "les factures FR-1 et FR-2". */
export function invoicesPhrase(numbers: string[], locale: Locale) {
  const list =
    numbers.length > 1
      ? `${numbers.slice(0, -1).join(', ')} ${locale === 'fr' ? 'et' : 'and'} ${numbers.at(-1)}`
      : numbers[0]
  if (locale === 'fr') return `${numbers.length > 1 ? 'les factures' : 'la facture'} ${list}`
  return `${numbers.length > 1 ? 'invoices' : 'invoice'} ${list}`
}
