import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { afterHold, nextSendingTimeAfter } from '#support/business_calendar'
import { relanceMayGoAt } from '#services/relances/relance_waits'

const paris = 'Europe/Paris'
const at = (iso: string) => DateTime.fromISO(iso, { zone: paris })
const utc = (moment: DateTime | null) => moment?.toUTC().toISO()

test.group('When a held relance may go', () => {
  test('next weekday 09:00 after a moment: {note}')
    .with([
      { now: '2026-12-01T08:00', expected: '2026-12-01T08:00:00.000Z', note: 'a Tuesday before 9' },
      {
        now: '2026-12-01T09:00',
        expected: '2026-12-02T08:00:00.000Z',
        note: 'at 9 sharp: tomorrow',
      },
      { now: '2026-12-04T17:30', expected: '2026-12-07T08:00:00.000Z', note: 'a Friday evening' },
      { now: '2026-12-06T10:00', expected: '2026-12-07T08:00:00.000Z', note: 'a Sunday' },
      {
        now: '2027-03-27T23:30',
        expected: '2027-03-29T07:00:00.000Z',
        note: 'across the DST change',
      },
    ])
    .run(({ assert }, { now, expected }) => {
      assert.equal(utc(nextSendingTimeAfter(at(now), paris)), expected)
    })

  test('a relance inside a hold goes at the first weekday 09:00 at or after its end', ({
    assert,
  }) => {
    // A promise for Friday the 11th: held until Saturday 09:00, so Monday
    const holdUntil = at('2026-12-12T09:00')
    assert.equal(
      utc(afterHold(at('2026-12-08T09:00'), holdUntil, paris)),
      '2026-12-14T08:00:00.000Z'
    )
    // A report on Tuesday 14:37 held 7 days: the Wednesday after, 09:00
    const reported = at('2026-12-01T14:37').plus({ days: 7 })
    assert.equal(
      utc(afterHold(at('2026-12-03T09:00'), reported, paris)),
      '2026-12-09T08:00:00.000Z'
    )
    // After the hold: as it was
    assert.equal(
      utc(afterHold(at('2026-12-20T09:00'), holdUntil, paris)),
      '2026-12-20T08:00:00.000Z'
    )
  })

  test('a hold until lifted or a bounced address waits for someone to act', ({ assert }) => {
    const moment = at('2026-12-08T09:00')
    assert.isNull(relanceMayGoAt(moment, { pausedUntil: null, bounced: true, hold: null }, paris))
    assert.isNull(
      relanceMayGoAt(moment, { pausedUntil: null, bounced: false, hold: { until: null } }, paris)
    )
    assert.equal(
      utc(relanceMayGoAt(moment, { pausedUntil: null, bounced: false, hold: null }, paris)),
      '2026-12-08T08:00:00.000Z'
    )
  })

  test('a pause and a hold together: the later of the two ends', ({ assert }) => {
    const moment = at('2026-12-08T09:00')
    const waits = {
      pausedUntil: DateTime.fromISO('2026-12-15'),
      bounced: false,
      hold: { until: at('2026-12-10T09:00') },
    }
    assert.equal(utc(relanceMayGoAt(moment, waits, paris)), '2026-12-16T08:00:00.000Z')
    const longerHold = { ...waits, hold: { until: at('2026-12-18T12:00') } }
    assert.equal(utc(relanceMayGoAt(moment, longerHold, paris)), '2026-12-21T08:00:00.000Z')
  })
})
