import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import sendRelanceJob from '#jobs/send_relance_job'
import { getQueue } from '#queue/queues'
import { firstRelancesDueNow } from '#tests/helpers/faults'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { processSceneForEach } from '#tests/helpers/running_app'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'
import { onWeekday } from '#support/business_calendar'

/** 09:00 on the next weekday in the zone. */
function nextWeekdaySendingTime(timezone: string) {
  let day = DateTime.now().setZone(timezone).startOf('day').plus({ days: 1 })
  while (day.weekday > 5) day = day.plus({ days: 1 })
  return day.set({ hour: 9 })
}

/** A zone whose calendar day began less than `hours` ago: its midnight lies in that window. */
function zoneWhoseDayBeganWithin(hours: number) {
  const zones = ['Pacific/Kiritimati', 'Asia/Tokyo', 'Europe/Paris', 'America/New_York']
  return zones.find((zone) => DateTime.now().setZone(zone).hour < hours)!
}

test.group('Relances: the daily cap per user', (group) => {
  const scene = processSceneForEach(group)

  test('past MAX_CLIENT_EMAILS_PER_DAY the next relance moves to the next weekday, saying why', async ({
    assert,
  }) => {
    const { inbox } = scene
    const user = await UserFactory.merge({ checkinBeforeEachRelance: false }).create()
    const invoices = []
    for (const n of [1, 2, 3, 4]) {
      invoices.push(
        await createScheduledInvoice(user, {
          clientName: `Client ${n}`,
          clientEmail: `client-${n}@example.test`,
        })
      )
    }
    const relances = await firstRelancesDueNow(invoices.map((invoice) => invoice.id))
    await scene.startWorker({ MAX_CLIENT_EMAILS_PER_DAY: '3' })

    const deferred = await waitFor('three relances sent and one deferred', async () => {
      const rows = await Relance.query().whereIn(
        'id',
        relances.map((relance) => relance.id)
      )
      const sent = rows.filter((relance) => relance.status === 'sent')
      const later = rows.filter(
        (relance) => relance.status === 'scheduled' && relance.scheduledAt > DateTime.now()
      )
      return sent.length === 3 && later.length === 1 ? later[0] : undefined
    })

    await waitFor('the three emails', () => inbox.messages.length === 3)
    const event = await ActivityEvent.query().where('type', 'relance_deferred').firstOrFail()
    // The weekday after the day the worker deferred it (not the test's today: midnight may
    // pass), unless the 24 hours since the first email end later
    const nextWeekday = (() => {
      let day = event.createdAt.setZone(user.timezone).startOf('day').plus({ days: 1 })
      while (day.weekday > 5) day = day.plus({ days: 1 })
      return day.set({ hour: 9 })
    })()
    const [firstSent] = await Relance.query().where('status', 'sent').orderBy('sent_at')
    const freesAt = firstSent.sentAt!.plus({ hours: 24 })
    assert.equal(
      deferred.scheduledAt.toMillis(),
      freesAt > nextWeekday
        ? onWeekday(freesAt.setZone(user.timezone)).toMillis()
        : nextWeekday.toMillis()
    )
    assert.equal(event.invoiceId, deferred.invoiceId)
    assert.include(event.label, 'the limit of 3 emails to clients a day is reached')
    // The same job waits for that moment: nothing is lost, nothing goes out today
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(deferred.id))
    assert.equal(await job!.getState(), 'delayed')
    assert.lengthOf(inbox.messages, 3)
  })

  test('a change of time zone does not reset the cap: it counts the last 24 hours', async ({
    assert,
  }) => {
    const { inbox } = scene
    const user = await UserFactory.merge({
      checkinBeforeEachRelance: false,
      timezone: 'Europe/Paris',
    }).create()
    const invoices = []
    for (const n of [1, 2, 3]) {
      invoices.push(
        await createScheduledInvoice(user, {
          clientName: `Client ${n}`,
          clientEmail: `client-${n}@example.test`,
        })
      )
    }
    const [first, second, third] = await firstRelancesDueNow(invoices.map((invoice) => invoice.id))
    // Two relance emails went 20 hours ago; then the user moves to a zone whose day began since
    const earlier = DateTime.now().minus({ hours: 20 })
    await Relance.query()
      .whereIn('id', [first.id, second.id])
      .update({ status: 'sent', sent_at: earlier.toJSDate() })
    const zone = zoneWhoseDayBeganWithin(20)
    await user.merge({ timezone: zone }).save()

    await scene.startWorker({ MAX_CLIENT_EMAILS_PER_DAY: '2' })

    const deferred = await waitFor('the third relance deferred', async () => {
      const relance = await Relance.findOrFail(third.id)
      return relance.status === 'scheduled' && relance.scheduledAt > DateTime.now()
        ? relance
        : undefined
    })
    assert.isAtLeast(deferred.scheduledAt.toMillis(), earlier.plus({ hours: 24 }).toMillis())
    assert.isAtLeast(deferred.scheduledAt.toMillis(), nextWeekdaySendingTime(zone).toMillis())
    await holdsFor('no email goes out', () => inbox.messages.length === 0, { forMs: 1_500 })
  })
})
