import { test } from '@japa/runner'
import type { Worker } from 'bullmq'
import mail from '@adonisjs/mail/services/main'
import ActivityEvent from '#models/activity_event'
import Client from '#models/client'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import sendRelanceJob from '#jobs/send_relance_job'
import { getQueue } from '#queue/queues'
import { registerWorker, startWorkers } from '#queue/workers'
import { deliverRelance, markRelanceFailed } from '#services/relances/relance_delivery'
import {
  createScheduledInvoice,
  invoiceWithDueRelance,
  relanceDueNow,
} from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { waitFor } from '#tests/helpers/wait_for'
import { sentMessages } from '#tests/helpers/mail_fake'
import { dayFromToday, weekdayFromToday } from '#tests/helpers/calendar'

/** Pauses the reminders of a client until that day. */
function pauseClientUntil(clientId: number, isoDate: string) {
  return Client.query().where('id', clientId).update({ reminders_paused_until: isoDate })
}

/** The job Redis holds for a relance. */
function jobOf(relance: Relance) {
  return getQueue('relances').getJob(sendRelanceJob.jobId(relance.id))
}

test.group('Relance delivery', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('a due relance is mailed to the client, replies going to the user', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({
      fullName: 'Camille Martin',
      email: 'camille@example.test',
    }).create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-77',
      clientName: 'Acme',
      clientEmail: 'compta@acme.test',
      dueDate: dayFromToday(-12),
    })
    const relance = await relanceDueNow(invoice.id)

    const outcome = await deliverRelance(relance.id)

    assert.deepEqual(outcome, { kind: 'sent' })
    const [message] = sentMessages(fake)
    message.assertTo('compta@acme.test')
    message.assertFrom('no-reply@relance.test', 'Camille Martin via Relance')
    message.assertReplyTo('camille@example.test')
    const text = message.toJSON().message.text as string
    assert.include(text, 'F-77')
    // French groups thousands with a narrow no-break space
    assert.match(text, /1\s250,00\s€/)
    assert.include(text, '12 jours de retard')
    await relance.refresh()
    assert.equal(relance.status, 'sent')
    const events = await ActivityEvent.query().where('type', 'relance_sent')
    assert.lengthOf(events, 1)
  })

  test('each step is firmer than the one before', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.apply('english').create()
    const invoice = await createScheduledInvoice(user, { number: 'F-88' })
    for (const sequence of [1, 2, 3]) {
      const relance = await relanceDueNow(invoice.id, sequence)
      await deliverRelance(relance.id)
    }

    const subjects = sentMessages(fake).map((message) => message.toJSON().message.subject)
    assert.deepEqual(subjects, [
      'Friendly reminder: invoice F-88',
      'Second reminder: invoice F-88 is unpaid',
      'Final reminder before formal notice: invoice F-88',
    ])
  })

  test('nothing goes out for a paid invoice or a cancelled relance', async ({ client, assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const paid = await createScheduledInvoice(user)
    const paidRelance = await relanceDueNow(paid.id)
    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    const other = await createScheduledInvoice(user)
    const cancelledRelance = await relanceDueNow(other.id)
    await cancelledRelance.merge({ status: 'cancelled' }).save()

    assert.deepEqual(await deliverRelance(paidRelance.id), { kind: 'skipped' })
    assert.deepEqual(await deliverRelance(cancelledRelance.id), { kind: 'skipped' })
    assert.deepEqual(await deliverRelance(999_999), { kind: 'skipped' })
    assert.lengthOf(sentMessages(fake), 0)
  })

  test('a relance due during a client pause waits for the first weekday 09:00 after it', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoice, relance } = await invoiceWithDueRelance()
    const pausedUntil = weekdayFromToday(5, 1) // a Friday ahead
    await pauseClientUntil(invoice.clientId, pausedUntil.toISODate()!)

    const outcome = await deliverRelance(relance.id)

    assert.equal(outcome.kind, 'deferred')
    await relance.refresh()
    assert.equal(relance.status, 'scheduled')
    // The Monday after, 09:00 Paris time (summer or winter)
    assert.equal(
      relance.scheduledAt.setZone('Europe/Paris').toISO(),
      pausedUntil.plus({ days: 3 }).set({ hour: 9 }).toISO()
    )
    assert.lengthOf(sentMessages(fake), 0)
  })

  test('relances of one client due the same day go out as one email listing each invoice', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const dueDate = dayFromToday(-12)
    const first = await createScheduledInvoice(user, { number: 'F-101', dueDate })
    const second = await createScheduledInvoice(user, { number: 'F-102', dueDate })
    const elsewhere = await createScheduledInvoice(user, {
      number: 'F-103',
      clientEmail: 'other@client.test',
      dueDate,
    })
    const one = await relanceDueNow(first.id, 1)
    const two = await relanceDueNow(second.id, 2)
    const other = await relanceDueNow(elsewhere.id, 1)

    assert.deepEqual(await deliverRelance(one.id), { kind: 'sent' })

    const [message] = sentMessages(fake)
    assert.lengthOf(sentMessages(fake), 1)
    const { subject, text } = message.toJSON().message
    assert.equal(subject, 'Deuxième rappel : factures F-101, F-102 impayées')
    assert.include(text, '- Facture F-101 : Montant')
    assert.include(text, '- Facture F-102 : Montant')
    for (const relance of [one, two]) {
      await relance.refresh()
      assert.equal(relance.status, 'sent')
    }
    await other.refresh()
    assert.equal(other.status, 'scheduled')
    // The companion's own job finds its relance sent and does nothing
    assert.deepEqual(await deliverRelance(two.id), { kind: 'skipped' })
    assert.lengthOf(sentMessages(fake), 1)
    assert.lengthOf(await ActivityEvent.query().where('type', 'relance_sent'), 2)
  })

  test('a relance due tomorrow waits for its own day', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const first = await createScheduledInvoice(user, { number: 'F-111' })
    const second = await createScheduledInvoice(user, { number: 'F-112' })
    const today = await relanceDueNow(first.id)
    const later = await Relance.query()
      .where('invoice_id', second.id)
      .where('sequence', 1)
      .firstOrFail()

    await deliverRelance(today.id)

    assert.include(sentMessages(fake)[0].toJSON().message.subject, 'facture F-111')
    await later.refresh()
    assert.equal(later.status, 'scheduled')
  })

  test('a failed email marks every relance it covered failed, with the reason', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const first = await createScheduledInvoice(user, { number: 'F-121' })
    const second = await createScheduledInvoice(user, { number: 'F-122' })
    const one = await relanceDueNow(first.id)
    const two = await relanceDueNow(second.id)

    await markRelanceFailed(two.id, '550 mailbox unavailable')

    for (const relance of [one, two]) {
      await relance.refresh()
      assert.equal(relance.status, 'failed')
      assert.equal(relance.failureReason, '550 mailbox unavailable')
    }
    assert.lengthOf(await ActivityEvent.query().where('type', 'relance_failed'), 2)
  })

  test('a relance that used its last attempt is failed, with the reason in the feed', async ({
    assert,
  }) => {
    const { relance } = await invoiceWithDueRelance()

    await markRelanceFailed(relance.id, '550 mailbox unavailable')

    await relance.refresh()
    assert.equal(relance.status, 'failed')
    assert.equal(relance.failureReason, '550 mailbox unavailable')
    const event = await ActivityEvent.query().where('type', 'relance_failed').firstOrFail()
    assert.equal(event.metadata.reason, '550 mailbox unavailable')
  })
})

test.group('Relance worker', (group) => {
  let workers: Worker[] = []
  group.each.setup(() => resetState())
  group.each.setup(() => {
    registerWorker('relances', sendRelanceJob)
    workers = startWorkers(['relances'], 2)
    return async () => {
      await Promise.all(workers.map((worker) => worker.close()))
      mail.restore()
    }
  })

  test('the worker sends a relance whose job comes due', async ({ assert }) => {
    const fake = mail.fake()
    const { relance } = await invoiceWithDueRelance({ clientEmail: 'due@acme.test' })
    const job = await jobOf(relance)

    await job!.promote()

    await waitFor('the relance to be sent', async () => {
      await relance.refresh()
      return relance.status === 'sent'
    })
    assert.lengthOf(sentMessages(fake), 1)
    assert.equal(await job!.getState(), 'completed')
  })

  test('two workers given the jobs of one client relances send one email, no split', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoices = []
    for (const number of ['F-131', 'F-132', 'F-133']) {
      invoices.push(await createScheduledInvoice(user, { number }))
    }
    const relances = await Promise.all(invoices.map((invoice) => relanceDueNow(invoice.id)))
    const jobs = await Promise.all(relances.map(jobOf))

    await Promise.all(jobs.map((job) => job!.promote()))

    await waitFor('every relance to be sent', async () => {
      const statuses = await Relance.query().whereIn(
        'id',
        relances.map(({ id }) => id)
      )
      return statuses.every((relance) => relance.status === 'sent')
    })
    await waitFor('every job to finish', async () => {
      const states = await Promise.all(jobs.map((job) => job!.getState()))
      return states.every((state) => state === 'completed')
    })
    const sent = sentMessages(fake)
    assert.lengthOf(sent, 1)
    assert.include(sent[0].toJSON().message.subject, 'F-131, F-132, F-133')
  })

  test('a job fired during a pause goes back to the delayed set under the same id', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoice, relance } = await invoiceWithDueRelance()
    const pausedUntil = weekdayFromToday(5, 1) // a Friday ahead
    await pauseClientUntil(invoice.clientId, pausedUntil.toISODate()!)
    const job = await jobOf(relance)

    await job!.promote()

    // The Monday after, 09:00 Paris time
    const resumedAt = pausedUntil.plus({ days: 3 }).set({ hour: 9 })
    await waitFor('the relance to be moved past the pause', async () => {
      await relance.refresh()
      return relance.scheduledAt.toMillis() === resumedAt.toMillis()
    })
    await waitFor('the job to be delayed again', async () => (await job!.getState()) === 'delayed')
    const delayed = await jobOf(relance)
    assert.closeTo(delayed!.timestamp + delayed!.delay, resumedAt.toMillis(), 1_000)
    assert.lengthOf(sentMessages(fake), 0)
  })
})
