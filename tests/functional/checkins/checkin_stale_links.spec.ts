import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import CheckinTask from '#models/checkin_task'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { createInvoices } from '#services/invoices/create_invoices'
import {
  checkinOf,
  invoiceStatusOf,
  invoiceWithSentCheckin,
  rubisOf,
} from '#tests/helpers/invoices'
import { checkinPage, checkinTokensIn } from '#tests/helpers/checkin_links'
import { sentMessages } from '#tests/helpers/mail_fake'
import { countRows } from '#tests/helpers/rows'
import { resetState } from '#tests/helpers/state'
import { dayFromToday } from '#tests/helpers/calendar'

test.group('Check-in links of an invoice no longer pending', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))
  group.each.teardown(() => mail.restore())

  test('after the invoice is marked paid in the app, its pending link answers already_answered and records nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const response = await client.get(`/api/v1/checkin/${token}/pending`).redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', checkinPage('already_answered'))
    const task = await checkinOf(invoice.id)
    assert.equal(task.status, 'sent')
    assert.isNull(task.answer)
    assert.equal(await countRows('activity_events', { type: 'checkin_answered' }), 0)
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
  })

  test('after the invoice is cancelled, its paid link answers already_answered and pays nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await invoiceWithSentCheckin()
    await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)

    response.assertHeader('location', checkinPage('already_answered'))
    assert.equal(await invoiceStatusOf(invoice.id), 'cancelled')
    assert.equal(await rubisOf(user.id), 0)
    const task = await checkinOf(invoice.id)
    assert.isNull(task.answer)
    assert.equal(await countRows('activity_events', { type: 'invoice_paid' }), 0)
  })

  test('50 concurrent clicks across the links of one digest record each answer once', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoices = await db.transaction((trx) =>
      createInvoices(
        user,
        [1, 2, 3, 4, 5].map((n) => ({
          number: `C-${n}`,
          clientName: 'Acme',
          clientEmail: 'billing@acme.test',
          amountCents: 1_000 * n,
          dueDate: dayFromToday(-1),
        })),
        trx
      )
    )
    const task = await CheckinTask.findByOrFail('invoice_id', invoices[0].id)
    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
    await sendCheckinJob.handle(job!)
    const text = sentMessages(fake)[0].toJSON().message.text as string
    const paid = checkinTokensIn(text, 'paid')
    const pending = checkinTokensIn(text, 'pending')
    assert.lengthOf(paid, 5)

    // Ten clicks per invoice, paid and pending links mixed
    const clicks = Array.from({ length: 50 }, (_, index) => {
      const link = index % 5
      const token = index % 2 === 0 ? paid[link] : pending[link]
      const kind = index % 2 === 0 ? 'paid' : 'pending'
      return client.get(`/api/v1/checkin/${token}/${kind}`).redirects(0)
    })
    const responses = await Promise.all(clicks)

    for (const response of responses) response.assertStatus(302)
    const results = responses.map((response) => response.header('location')!.split('/').pop())
    const recorded = results.filter((result) => result === 'paid' || result === 'pending')
    assert.lengthOf(recorded, 5, JSON.stringify(results))
    const answered = await CheckinTask.query()
      .whereIn(
        'invoice_id',
        invoices.map((invoice) => invoice.id)
      )
      .where('status', 'answered')
    assert.lengthOf(answered, 5)
    const paidCount = results.filter((result) => result === 'paid').length
    assert.equal(await rubisOf(user.id), paidCount)
    assert.equal(await countRows('activity_events', { type: 'invoice_paid' }), paidCount)
    assert.equal(await countRows('activity_events', { type: 'checkin_answered' }), 5 - paidCount)
    const perInvoice = await ActivityEvent.query()
      .whereIn('type', ['invoice_paid', 'checkin_answered'])
      .select('invoice_id')
    assert.sameMembers(
      perInvoice.map((event) => event.invoiceId),
      invoices.map((invoice) => invoice.id)
    )
  })
})
