import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import env from '#start/env'
import {
  checkinTimeBeforeRelance,
  checkinTimeFor,
  nextCheckinBeforeRelance,
} from '#services/checkins/checkin_scheduler'
import { relanceTimesFor } from '#services/relances/relance_scheduler'

const day = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' })
const utc = (moment: DateTime) => moment.toUTC().toISO()

test.group('Check-in time', () => {
  test('goes out at 09:00 local on the due date: {due} in {zone}, {note}')
    .with([
      {
        due: '2026-12-01',
        zone: 'Europe/Paris',
        expected: '2026-12-01T08:00:00.000Z',
        note: 'UTC+1',
      },
      {
        due: '2026-12-01',
        zone: 'America/New_York',
        expected: '2026-12-01T14:00:00.000Z',
        note: 'UTC-5',
      },
      {
        due: '2026-12-01',
        zone: 'Asia/Tokyo',
        expected: '2026-12-01T00:00:00.000Z',
        note: 'UTC+9',
      },
      // Paris springs forward on 2027-03-28: UTC+1 the day before, UTC+2 that day
      {
        due: '2027-03-27',
        zone: 'Europe/Paris',
        expected: '2027-03-27T08:00:00.000Z',
        note: 'before DST',
      },
      {
        due: '2027-03-28',
        zone: 'Europe/Paris',
        expected: '2027-03-28T07:00:00.000Z',
        note: 'DST day',
      },
      // New York falls back on 2027-11-07
      {
        due: '2027-11-06',
        zone: 'America/New_York',
        expected: '2027-11-06T13:00:00.000Z',
        note: 'before DST end',
      },
      {
        due: '2027-11-07',
        zone: 'America/New_York',
        expected: '2027-11-07T14:00:00.000Z',
        note: 'DST end day',
      },
    ])
    .run(({ assert }, { due, zone, expected }) => {
      const now = DateTime.fromISO('2026-11-26T10:00:00Z')
      assert.equal(utc(checkinTimeFor(day(due), zone, now)), expected)
    })

  test('a due date already past is checked in shortly after now', ({ assert }) => {
    const now = DateTime.fromISO('2026-11-26T10:00:00Z')
    const delay = env.get('CHECKIN_PAST_DUE_DELAY_MS')
    for (const due of ['2026-11-01', '2026-11-26']) {
      const at = checkinTimeFor(day(due), 'Europe/Paris', now)
      assert.equal(at.toMillis(), now.toMillis() + delay)
    }
  })

  test('today before 09:00 local is still checked in at 09:00', ({ assert }) => {
    const now = DateTime.fromISO('2026-11-26T06:30:00Z') // 07:30 in Paris
    assert.equal(
      utc(checkinTimeFor(day('2026-11-26'), 'Europe/Paris', now)),
      '2026-11-26T08:00:00.000Z'
    )
  })

  test('the user day, not the UTC day, decides whether the due date is past', ({ assert }) => {
    // 21:00 UTC on the 26th is already 10:00 on the 27th in Auckland
    const now = DateTime.fromISO('2026-11-26T21:00:00Z')
    const at = checkinTimeFor(day('2026-11-27'), 'Pacific/Auckland', now)
    assert.equal(at.toMillis(), now.toMillis() + env.get('CHECKIN_PAST_DUE_DELAY_MS'))
  })
})

test.group('Relance times', () => {
  const paris = 'Europe/Paris'
  // Thursday 2026-11-26, 11:00 in Paris
  const now = DateTime.fromISO('2026-11-26T10:00:00Z')

  test('one relance per offset at 09:00 local after the due date', ({ assert }) => {
    const times = relanceTimesFor({
      dueDate: day('2026-12-02'),
      offsets: [3, 10, 20],
      timezone: paris,
      now,
    })
    assert.deepEqual(times.map(utc), [
      '2026-12-07T08:00:00.000Z', // Saturday the 5th moves to Monday the 7th
      '2026-12-14T08:00:00.000Z', // 12th is a Saturday
      '2026-12-22T08:00:00.000Z',
    ])
  })

  test('a past due date counts from today', ({ assert }) => {
    const times = relanceTimesFor({
      dueDate: day('2026-11-01'),
      offsets: [3, 10, 20],
      timezone: paris,
      now,
    })
    // today + 3 = Sunday 29 → Monday 30; + 10 = Sunday 6 → Monday 7; + 20 = Wednesday 16
    assert.deepEqual(times.map(utc), [
      '2026-11-30T08:00:00.000Z',
      '2026-12-07T08:00:00.000Z',
      '2026-12-16T08:00:00.000Z',
    ])
  })

  test('relances never fall on a weekend', ({ assert }) => {
    const offsets = Array.from({ length: 10 }, (_, index) => index + 1)
    const times = relanceTimesFor({ dueDate: day('2026-12-04'), offsets, timezone: paris, now })
    for (const time of times) assert.isBelow(time.setZone(paris).weekday, 6)
    for (const time of times) assert.equal(time.setZone(paris).hour, 9)
  })

  test('custom offsets are used in ascending order', ({ assert }) => {
    const times = relanceTimesFor({
      dueDate: day('2026-12-01'),
      offsets: [7, 1],
      timezone: paris,
      now,
    })
    assert.deepEqual(times.map(utc), ['2026-12-02T08:00:00.000Z', '2026-12-08T08:00:00.000Z'])
  })

  test('09:00 stays 09:00 local across a daylight saving change', ({ assert }) => {
    const times = relanceTimesFor({
      dueDate: day('2027-03-24'),
      offsets: [1, 8],
      timezone: paris,
      now,
    })
    assert.deepEqual(times.map(utc), ['2027-03-25T08:00:00.000Z', '2027-04-01T07:00:00.000Z'])
  })

  test('each user gets 09:00 in their own zone', ({ assert }) => {
    const [tokyo] = relanceTimesFor({
      dueDate: day('2026-12-01'),
      offsets: [1],
      timezone: 'Asia/Tokyo',
      now,
    })
    const [newYork] = relanceTimesFor({
      dueDate: day('2026-12-01'),
      offsets: [1],
      timezone: 'America/New_York',
      now,
    })
    assert.equal(utc(tokyo), '2026-12-02T00:00:00.000Z')
    assert.equal(utc(newYork), '2026-12-02T14:00:00.000Z')
  })

  test('a relance inside a client pause waits for the first weekday 09:00 after it', ({
    assert,
  }) => {
    const times = relanceTimesFor({
      dueDate: day('2026-12-01'),
      offsets: [3, 10, 20],
      timezone: paris,
      pausedUntil: day('2026-12-10'),
      now,
    })
    // 4th and 11th fall inside the pause (through the 10th) → Friday the 11th; the 21st is after it
    assert.deepEqual(times.map(utc), [
      '2026-12-11T08:00:00.000Z',
      '2026-12-11T08:00:00.000Z',
      '2026-12-21T08:00:00.000Z',
    ])
  })

  test('a pause ending on a Friday resumes on Monday', ({ assert }) => {
    const [first] = relanceTimesFor({
      dueDate: day('2026-12-01'),
      offsets: [3],
      timezone: paris,
      pausedUntil: day('2026-12-11'),
      now,
    })
    assert.equal(utc(first), '2026-12-14T08:00:00.000Z')
  })

  test('the first relance comes on a later day than the check-in', ({ assert }) => {
    for (const due of ['2026-10-01', '2026-11-26', '2026-11-27', '2026-11-28', '2026-12-25']) {
      for (const zone of [paris, 'Pacific/Auckland', 'America/Los_Angeles']) {
        const checkin = checkinTimeFor(day(due), zone, now)
        const [first] = relanceTimesFor({ dueDate: day(due), offsets: [1, 2], timezone: zone, now })
        const [relanceDay, checkinDay] = [first, checkin].map((moment) =>
          moment.setZone(zone).toISODate()!
        )
        assert.isTrue(
          relanceDay > checkinDay,
          `${due} in ${zone}: ${checkinDay} then ${relanceDay}`
        )
        assert.isAbove(first.toMillis(), checkin.toMillis())
      }
    }
  })
})

test.group('Check-in before a later relance', () => {
  const paris = 'Europe/Paris'
  // Thursday 2026-11-26, 11:00 in Paris
  const now = DateTime.fromISO('2026-11-26T10:00:00Z')
  const at = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' })
  const scheduled = (sequence: number, iso: string) => ({
    sequence,
    status: 'scheduled' as const,
    scheduledAt: at(iso),
  })

  test('comes at 09:00 local on the weekday before the relance: {note}')
    .with([
      {
        relance: '2026-12-09T08:00:00Z',
        zone: paris,
        expected: '2026-12-08T08:00:00.000Z',
        note: 'a Wednesday relance, Tuesday check-in',
      },
      {
        relance: '2026-12-07T08:00:00Z',
        zone: paris,
        expected: '2026-12-04T08:00:00.000Z',
        note: 'a Monday relance, the Friday before',
      },
      {
        relance: '2026-12-08T14:00:00Z',
        zone: 'America/New_York',
        expected: '2026-12-07T14:00:00.000Z',
        note: 'in New York',
      },
      {
        relance: '2026-12-08T00:00:00Z',
        zone: 'Asia/Tokyo',
        expected: '2026-12-07T00:00:00.000Z',
        note: 'in Tokyo, the previous UTC day',
      },
      // Paris springs forward on Sunday 2027-03-28
      {
        relance: '2027-03-30T07:00:00Z',
        zone: paris,
        expected: '2027-03-29T07:00:00.000Z',
        note: 'after the DST change',
      },
      {
        relance: '2027-03-29T07:00:00Z',
        zone: paris,
        expected: '2027-03-26T08:00:00.000Z',
        note: 'a Monday after DST, a Friday before it',
      },
      // New York falls back on Sunday 2027-11-07
      {
        relance: '2027-11-08T14:00:00Z',
        zone: 'America/New_York',
        expected: '2027-11-05T13:00:00.000Z',
        note: 'a Monday after DST ends, a Friday before it',
      },
    ])
    .run(({ assert }, { relance, zone, expected }) => {
      assert.equal(utc(checkinTimeBeforeRelance(at(relance), zone)), expected)
    })

  test('the first relance has none: the check-in at the due date comes before it', ({ assert }) => {
    const next = nextCheckinBeforeRelance({
      relances: [scheduled(1, '2026-12-02T08:00:00Z'), scheduled(2, '2026-12-09T08:00:00Z')],
      pausedUntil: null,
      timezone: paris,
      now,
    })
    assert.equal(next?.beforeRelance, 2)
    assert.equal(utc(next!.at), '2026-12-08T08:00:00.000Z')
  })

  test('a check-in moment already past goes to the next relance', ({ assert }) => {
    const next = nextCheckinBeforeRelance({
      relances: [
        scheduled(1, '2026-11-23T08:00:00Z'),
        scheduled(2, '2026-11-27T08:00:00Z'), // its check-in was this morning, 09:00
        scheduled(3, '2026-12-07T08:00:00Z'),
      ],
      pausedUntil: null,
      timezone: paris,
      now,
    })
    assert.equal(next?.beforeRelance, 3)
    assert.equal(utc(next!.at), '2026-12-04T08:00:00.000Z')
  })

  test('relances no longer scheduled need no check-in', ({ assert }) => {
    const relances = [
      { ...scheduled(2, '2026-12-09T08:00:00Z'), status: 'cancelled' as const },
      { ...scheduled(3, '2026-12-16T08:00:00Z'), status: 'sent' as const },
    ]
    assert.isNull(nextCheckinBeforeRelance({ relances, pausedUntil: null, timezone: paris, now }))
  })

  test('a client pause moves the check-in with the relance it delays', ({ assert }) => {
    const next = nextCheckinBeforeRelance({
      relances: [scheduled(2, '2026-12-09T08:00:00Z')],
      // Through Friday the 11th: the relance waits for Monday the 14th
      pausedUntil: at('2026-12-11'),
      timezone: paris,
      now,
    })
    assert.equal(utc(next!.at), '2026-12-11T08:00:00.000Z')
  })

  test('always on a weekday at 09:00 local, the day before the relance or earlier', ({
    assert,
  }) => {
    for (let offset = 1; offset <= 21; offset++) {
      const relanceAt = now.plus({ days: offset }).set({ hour: 8, minute: 0 })
      for (const zone of [paris, 'Pacific/Auckland', 'America/Los_Angeles']) {
        const checkin = checkinTimeBeforeRelance(relanceAt, zone).setZone(zone)
        assert.isBelow(checkin.weekday, 6)
        assert.equal(checkin.hour, 9)
        assert.isTrue(checkin.toISODate()! < relanceAt.setZone(zone).toISODate()!)
      }
    }
  })
})
