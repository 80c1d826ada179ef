import { DateTime } from 'luxon'

/** Mails go out at 09:00 in the user's time zone. */
export const SENDING_HOUR = 9

/**
 * 09:00 on this calendar day in the zone. Luxon moves a time that a DST
 * change skips forward, so the result always exists.
 */
export function sendingTimeOn(day: DateTime, timezone: string): DateTime {
  return DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour: SENDING_HOUR },
    { zone: timezone }
  )
}

/** The same moment, or the Monday after when it falls on a weekend. */
export function onWeekday(moment: DateTime): DateTime {
  const weekday = moment.weekday // 1 = Monday … 7 = Sunday
  return weekday >= 6 ? moment.plus({ days: 8 - weekday }) : moment
}

/** The calendar day `now` is in the zone. */
export function todayIn(timezone: string, now: DateTime): DateTime {
  return now.setZone(timezone).startOf('day')
}

const dayParts = new Map<string, Intl.DateTimeFormat>()

/**
 * todayIn's calendar day as YYYY-MM-DD, for a plain Date: one
 * Intl.DateTimeFormat per zone, not luxon's zone offsets per call.
 */
export function calendarDayIn(timezone: string, moment: Date): string {
  let format = dayParts.get(timezone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    dayParts.set(timezone, format)
  }
  const parts: Record<string, string> = {}
  for (const { type, value } of format.formatToParts(moment)) parts[type] = value
  return `${parts.year}-${parts.month}-${parts.day}`
}

/** A calendar day (YYYY-MM-DD) plus whole days. */
export function addCalendarDays(day: string, days: number): string {
  return new Date(Date.parse(day) + days * 86_400_000).toISOString().slice(0, 10)
}

/** The later of two calendar days. */
export function laterDay(a: DateTime, b: DateTime): DateTime {
  return a.toISODate()! >= b.toISODate()! ? a : b
}

/**
 * A relance that falls inside a client's pause waits for the first weekday
 * 09:00 after the paused day.
 */
export function afterPause(moment: DateTime, pausedUntil: DateTime | null, timezone: string) {
  if (!pausedUntil) return moment
  const resume = sendingTimeOn(pausedUntil.plus({ days: 1 }), timezone)
  return moment < resume ? onWeekday(resume) : moment
}

/**
 * The first weekday 09:00 strictly after `moment` in the zone: when what
 * waited (a hold lifted, a bounced address fixed) goes out, all at once in
 * one email per client, never in a burst.
 */
export function nextSendingTimeAfter(moment: DateTime, timezone: string): DateTime {
  const local = moment.setZone(timezone)
  let at = sendingTimeOn(local, timezone)
  if (at <= local) at = sendingTimeOn(local.plus({ days: 1 }), timezone)
  return onWeekday(at)
}

/**
 * A relance that falls before the end of a hold waits for the first weekday
 * 09:00 at or after that end.
 */
export function afterHold(moment: DateTime, holdUntil: DateTime, timezone: string) {
  if (moment >= holdUntil) return moment
  const local = holdUntil.setZone(timezone)
  const sameDay = sendingTimeOn(local, timezone)
  return onWeekday(sameDay >= local ? sameDay : sendingTimeOn(local.plus({ days: 1 }), timezone))
}
