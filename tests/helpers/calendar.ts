import { DateTime } from 'luxon'
import timekeeper from 'timekeeper'

/** The users' time zone unless a test sets another (the factory's and the app's default). */
export const USERS_ZONE = 'Europe/Paris'

/**
 * The calendar day `days` from today in the zone, at its midnight: a due
 * date "12 days ago" as the app counts days late, in the user's zone. Today
 * in UTC is another day for an hour or two each night.
 */
export function dayFromToday(days: number, zone = USERS_ZONE): DateTime {
  return DateTime.now().setZone(zone).startOf('day').plus({ days })
}

/**
 * The first `weekday` (1 = Monday … 7 = Sunday) at least `days` from today
 * in the zone, at its midnight: "a Friday ahead" whatever day the tests run.
 */
export function weekdayFromToday(weekday: number, days: number, zone = USERS_ZONE): DateTime {
  const day = dayFromToday(days, zone)
  return day.plus({ days: (weekday - day.weekday + 7) % 7 })
}

/**
 * Moves this process's clock `ms` on (or back, when negative); it keeps
 * running from there, PostgreSQL's and the other processes' stay where they
 * are. The returned function moves it back.
 */
export function shiftClock(ms: number): () => void {
  timekeeper.travel(Date.now() + ms)
  return () => {
    timekeeper.travel(Date.now() - ms)
  }
}
