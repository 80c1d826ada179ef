import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DateTime } from 'luxon'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'

/** The path of a file of tests/fixtures. */
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/**
 * The first day of the dated CSV fixtures (excel_fr_*, english_comma,
 * broken_rows): their dates run from here to March 2027, due dates that were
 * ahead when they were written and that the calendar passes.
 */
export const FIXTURE_DAY_ZERO = '2027-01-01'

const calendarDay = (day: DateTime | string) =>
  DateTime.fromISO(typeof day === 'string' ? day : day.toISODate()!, { zone: 'utc' })

/**
 * A fixture's calendar day (YYYY-MM-DD) as `datedFixture` moves it: as many
 * days after `dayZero` as it is after FIXTURE_DAY_ZERO.
 */
export function movedFixtureDay(day: string, dayZero: DateTime): string {
  const days = calendarDay(day).diff(calendarDay(FIXTURE_DAY_ZERO), 'days').days
  return calendarDay(dayZero).plus({ days }).toISODate()!
}

/**
 * A copy of the CSV fixture `name`, written under the same name in
 * `directory`, whose dates (DD/MM/YYYY and YYYY-MM-DD) are moved by the same
 * number of days, FIXTURE_DAY_ZERO to `dayZero`: rows due at a distance from
 * today that the calendar does not change. Every other byte is kept, in UTF-8
 * as in Windows-1252 (dates are ASCII in both); a date that does not exist
 * ("31/02/2027") stays as written. Answers the copy's path.
 */
export async function datedFixture(name: string, directory: string, dayZero: DateTime) {
  const move = (year: string, month: string, day: string, format: string, written: string) => {
    const date = DateTime.fromObject({ year: +year, month: +month, day: +day }, { zone: 'utc' })
    if (!date.isValid) return written
    return DateTime.fromISO(movedFixtureDay(date.toISODate()!, dayZero)).toFormat(format)
  }
  const bytes = await readFile(fixture(name))
  // latin1 maps each byte to one character and back: the file's own encoding is kept
  const text = bytes
    .toString('latin1')
    .replace(/\b(\d{2})\/(\d{2})\/(\d{4})\b/g, (written, day, month, year) =>
      move(year, month, day, 'dd/MM/yyyy', written)
    )
    .replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, (written, year, month, day) =>
      move(year, month, day, 'yyyy-MM-dd', written)
    )
  const path = join(directory, name)
  await writeFile(path, Buffer.from(text, 'latin1'))
  return path
}

/**
 * POST /api/v1/import-batches with a CSV file: a path, or bytes sent as
 * `import.csv`; the caller checks the answer.
 */
export function upload(client: ApiClient, user: User, file: string | Buffer) {
  const request = client.post('/api/v1/import-batches').loginAs(user)
  return typeof file === 'string'
    ? request.file('file', file)
    : request.file('file', file, { filename: 'import.csv', contentType: 'text/csv' })
}

/** Uploads a file that must become a draft; answers the draft. */
export async function draftOf(client: ApiClient, user: User, file: string | Buffer) {
  const response = await upload(client, user, file)
  response.assertStatus(201)
  return response.body().data
}

/** POST /api/v1/import-batches/:id/validate; the caller checks the answer. */
export function validate(client: ApiClient, user: User, batchId: number) {
  return client.post(`/api/v1/import-batches/${batchId}/validate`).loginAs(user)
}
