import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import ActivityEvent from '#models/activity_event'
import CheckinTask from '#models/checkin_task'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import sendCheckinJob from '#jobs/send_checkin_job'
import {
  checkinOf,
  createScheduledInvoice,
  invoiceStatusOf,
  invoiceWithSentCheckin,
  latestCheckinOf,
  rubisOf,
} from '#tests/helpers/invoices'
import { checkinPage } from '#tests/helpers/checkin_links'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { dayFromToday } from '#tests/helpers/calendar'

test.group('Check-in links', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('the paid link pays the invoice once and redirects to the SPA', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()

    const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', checkinPage('paid'))
    response.assertHeader('cache-control', 'no-store')
    response.assertHeader('referrer-policy', 'no-referrer')
    response.assertHeader('x-robots-tag', 'noindex')

    const paid = await Invoice.findOrFail(invoice.id)
    assert.equal(paid.status, 'paid')
    assert.equal(paid.paidVia, 'checkin')
    assert.equal(await rubisOf(user.id), 1)
    const task = await checkinOf(invoice.id)
    assert.equal(task.status, 'answered')
    assert.equal(task.answer, 'paid')
    const events = await ActivityEvent.query()
      .where('invoice_id', invoice.id)
      .where('type', 'invoice_paid')
    assert.lengthOf(events, 1)
    assert.include(events[0].label, 'via check-in')
    const relances = await Relance.query().where('invoice_id', invoice.id)
    assert.isTrue(
      relances.length > 0 && relances.every((relance) => relance.status === 'cancelled')
    )
    assert.deepEqual(await queuedJobIds('relances'), [])
  })

  test('the pending link records the answer and leaves the relances running', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()

    const response = await client.get(`/api/v1/checkin/${token}/pending`).redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', checkinPage('pending'))
    const task = await checkinOf(invoice.id)
    assert.equal(task.status, 'answered')
    assert.equal(task.answer, 'still_pending')
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
    assert.equal(await rubisOf(user.id), 0)
    const relances = await Relance.query().where('invoice_id', invoice.id)
    assert.isTrue(relances.every((relance) => relance.status === 'scheduled'))
    assert.lengthOf(await queuedJobIds('relances'), relances.length)
  })

  test('a second click answers already_answered and changes nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()

    await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)
    const again = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)
    const other = await client.get(`/api/v1/checkin/${token}/pending`).redirects(0)

    again.assertHeader('location', checkinPage('already_answered'))
    other.assertHeader('location', checkinPage('already_answered'))
    assert.equal(await rubisOf(user.id), 1)
    const task = await checkinOf(invoice.id)
    assert.equal(task.answer, 'paid')
  })

  test('a link older than 24 hours is expired', async ({ client, assert }) => {
    const { invoice, token } = await invoiceWithSentCheckin(
      DateTime.now().minus({ hours: 24, minutes: 1 })
    )

    const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)

    response.assertHeader('location', checkinPage('expired'))
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
    const task = await latestCheckinOf(invoice.id)
    assert.equal(task.status, 'sent')
  })

  test('unknown, malformed and oversized tokens are invalid', async ({ client }) => {
    const unknown = generateCheckinToken().plain
    for (const token of [
      unknown,
      'abc',
      'a'.repeat(10_000),
      '%00%27%3B--',
      '..%2F..%2Fetc%2Fpasswd',
    ]) {
      const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)
      response.assertStatus(302)
      response.assertHeader('location', checkinPage('invalid'))
    }
  })

  test('a check-in never sent or cancelled is invalid', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const token = generateCheckinToken()
    const task = await checkinOf(invoice.id)
    await task.merge({ tokenHash: token.hashed }).save()

    const neverSent = await client.get(`/api/v1/checkin/${token.plain}/paid`).redirects(0)
    await task.merge({ status: 'cancelled' }).save()
    const cancelled = await client.get(`/api/v1/checkin/${token.plain}/paid`).redirects(0)

    neverSent.assertHeader('location', checkinPage('invalid'))
    cancelled.assertHeader('location', checkinPage('invalid'))
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
  })

  test('the redirect never carries the token', async ({ client, assert }) => {
    const { token } = await invoiceWithSentCheckin()

    const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)

    assert.notInclude(response.header('location'), token)
    assert.notInclude(JSON.stringify(response.headers()), token)
  })

  test('HEAD on a link changes nothing', async ({ client, assert }) => {
    const { invoice, token } = await invoiceWithSentCheckin()

    const response = await client.head(`/api/v1/checkin/${token}/paid`).redirects(0)

    assert.notEqual(response.status(), 302)
    const task = await latestCheckinOf(invoice.id)
    assert.equal(task.status, 'sent')
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
  })

  test('fifty concurrent clicks record one answer and one rubis', async ({ client, assert }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => client.get(`/api/v1/checkin/${token}/paid`).redirects(0))
    )

    const locations = responses.map((response) => response.header('location'))
    assert.lengthOf(
      locations.filter((location) => location === checkinPage('paid')),
      1
    )
    assert.lengthOf(
      locations.filter((location) => location === checkinPage('already_answered')),
      49
    )
    assert.equal(await rubisOf(user.id), 1)
    const events = await ActivityEvent.query()
      .where('invoice_id', invoice.id)
      .where('type', 'invoice_paid')
    assert.lengthOf(events, 1)
  })

  test('paid racing pending on one token records exactly one answer', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        client.get(`/api/v1/checkin/${token}/${index % 2 ? 'paid' : 'pending'}`).redirects(0)
      )
    )

    const answered = responses.filter(
      (response) => response.header('location') !== checkinPage('already_answered')
    )
    assert.lengthOf(answered, 1)
    const task = await checkinOf(invoice.id)
    const paid = (await invoiceStatusOf(invoice.id)) === 'paid'
    assert.equal(task.answer, paid ? 'paid' : 'still_pending')
    assert.equal(await rubisOf(user.id), paid ? 1 : 0)
  })
})

test.group('Check-in scheduling', (group) => {
  group.each.setup(() => resetState())

  test('a new invoice gets one check-in at 09:00 on its due date, queued after commit', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({ timezone: 'America/New_York' }).create()
    // The next 14 June, in New York's summer time (UTC−4): 09:00 there is 13:00 UTC
    const today = dayFromToday(0, 'America/New_York')
    const june = today.set({ month: 6, day: 14 })
    const dueDate = (june > today ? june : june.plus({ years: 1 })).toISODate()!
    const invoice = await createScheduledInvoice(user, {
      dueDate: DateTime.fromISO(dueDate, { zone: 'utc' }),
    })

    const tasks = await CheckinTask.query().where('invoice_id', invoice.id)
    assert.lengthOf(tasks, 1)
    assert.equal(tasks[0].status, 'scheduled')
    assert.equal(tasks[0].scheduledAt.toUTC().toISO(), `${dueDate}T13:00:00.000Z`)
    assert.include(await queuedJobIds('checkins'), sendCheckinJob.jobId(tasks[0].id))
  })

  test('the queued job carries the token encrypted, never in clear', async ({ assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const task = await checkinOf(invoice.id)
    const { getQueue } = await import('#queue/queues')
    const { default: encryption } = await import('@adonisjs/core/services/encryption')

    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
    const plain = encryption.decrypt<string>(job!.data.encryptedToken)

    assert.match(plain!, /^[A-Za-z0-9_-]{43}$/)
    assert.notInclude(JSON.stringify(job!.data), plain!)
  })

  test('rescheduling keeps exactly one scheduled check-in per invoice', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const first = await checkinOf(invoice.id)

    // One, two, then three months ahead
    const dueDates = [1, 2, 3].map((months) => dayFromToday(0).plus({ months }).toISODate()!)
    for (const dueDate of dueDates) {
      const response = await client
        .patch(`/api/v1/invoices/${invoice.id}`)
        .json({ dueDate })
        .loginAs(user)
      response.assertStatus(200)
    }

    const scheduled = await CheckinTask.query()
      .where('invoice_id', invoice.id)
      .where('status', 'scheduled')
    assert.lengthOf(scheduled, 1)
    assert.equal(scheduled[0].scheduledAt.setZone('Europe/Paris').toISODate(), dueDates[2])
    await first.refresh()
    assert.equal(first.status, 'cancelled')
    const jobs = await queuedJobIds('checkins')
    assert.deepEqual(jobs, [sendCheckinJob.jobId(scheduled[0].id)])
  })

  test('mark-paid cancels the waiting check-in and removes its job', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)

    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const task = await checkinOf(invoice.id)
    assert.equal(task.status, 'cancelled')
    assert.deepEqual(await queuedJobIds('checkins'), [])
  })
})
