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
import { waitFor } from '#tests/helpers/wait_for'

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
    // The weekday after the day the worker deferred it (not the test's today: midnight may pass)
    const nextWeekday = (() => {
      let day = event.createdAt.setZone(user.timezone).startOf('day').plus({ days: 1 })
      while (day.weekday > 5) day = day.plus({ days: 1 })
      return day.set({ hour: 9 })
    })()
    assert.equal(deferred.scheduledAt.toMillis(), nextWeekday.toMillis())
    assert.equal(event.invoiceId, deferred.invoiceId)
    assert.include(event.label, 'the limit of 3 relance emails a day is reached')
    // The same job waits for that moment: nothing is lost, nothing goes out today
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(deferred.id))
    assert.equal(await job!.getState(), 'delayed')
    assert.lengthOf(inbox.messages, 3)
  })
})
