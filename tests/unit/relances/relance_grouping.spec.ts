import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { dueTogetherWindow, groupStep } from '#services/relances/relance_groups'

test.group('Relance grouping', () => {
  test('relances due from the start of the user calendar day up to now go together', ({
    assert,
  }) => {
    const now = DateTime.fromISO('2026-03-20T09:00:30', { zone: 'Europe/Paris' })

    const { from, to } = dueTogetherWindow(now, 'Europe/Paris')

    assert.equal(from.toISO(), '2026-03-20T00:00:00.000+01:00')
    assert.equal(to.toMillis(), now.toMillis() + 1_000)
  })

  test('the day is the user one, not the server one', ({ assert }) => {
    // 03:00 UTC on the 20th is still 23:00 on the 19th in New York
    const now = DateTime.fromISO('2026-03-20T03:00:00Z')

    const { from } = dueTogetherWindow(now, 'America/New_York')

    assert.equal(from.toUTC().toISO(), '2026-03-19T04:00:00.000Z')
  })

  test('the email is worded as the highest step among its relances', ({ assert }) => {
    assert.equal(groupStep([{ sequence: 1 }]), 1)
    assert.equal(groupStep([{ sequence: 1 }, { sequence: 3 }, { sequence: 2 }]), 3)
  })
})
