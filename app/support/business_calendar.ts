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
