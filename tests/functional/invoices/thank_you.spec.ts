import { test } from '@japa/runner'
import type { Worker } from 'bullmq'
import type { ApiClient } from '@japa/api-client'
import mail from '@adonisjs/mail/services/main'
import Client from '#models/client'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import env from '#start/env'
import ThankYou from '#models/thank_you'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import sendThankYouJob from '#jobs/send_thank_you_job'
import { getQueue } from '#queue/queues'
import { reconcileQueues } from '#queue/reconciler'
import { registerWorker, startWorkers } from '#queue/workers'
import { deliverThankYou } from '#services/invoices/thank_you_delivery'
import { createScheduledInvoice, relanceDueNow } from '#tests/helpers/invoices'
import { queuedJobIds, resetQueues, resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'
import { waitFor } from '#tests/helpers/wait_for'

/** A user's invoice whose first relance went out to the client. */
async function chasedInvoice(user: User, overrides = {}) {
  const invoice = await createScheduledInvoice(user, overrides)
  const relance = await relanceDueNow(invoice.id)
  await relance.merge({ status: 'sent' }).save()
  return invoice
}

/** A new user's chased invoice, then marked paid by them through the API. */
async function paidChasedInvoice(client: ApiClient, overrides = {}) {
  const user = await UserFactory.create()
  const invoice = await chasedInvoice(user, overrides)
  await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
  return { user, invoice }
}

test.group('Thank-you on payment', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('paying a chased invoice promises one thank-you, whose job is enqueued', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await paidChasedInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const [thankYou, ...others] = await ThankYou.query().where('invoice_id', invoice.id)
    assert.lengthOf(others, 0)
    assert.equal(thankYou.status, 'scheduled')
    assert.deepEqual(await queuedJobIds('thank-yous'), [sendThankYouJob.jobId(thankYou.id)])
  })

  test('no thank-you for a client never chased, nor when the user turned them off', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const quiet = await createScheduledInvoice(user)
    const unthanked = await UserFactory.create()
    await client.patch('/api/v1/me').json({ thankClientsOnPayment: false }).loginAs(unthanked)
    const chased = await chasedInvoice(unthanked)

    await client.post(`/api/v1/invoices/${quiet.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${chased.id}/mark-paid`).loginAs(unthanked)

    assert.lengthOf(await ThankYou.all(), 0)
    assert.deepEqual(await queuedJobIds('thank-yous'), [])
  })

  test('the thank-you goes to the client once, in the client language', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({ fullName: 'Camille Martin' }).create()
    const invoice = await chasedInvoice(user, { number: 'F-500', clientEmail: 'ap@acme.test' })
    await Client.query().where('id', invoice.clientId).update({ locale: 'en' })
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    const thankYou = await ThankYou.findByOrFail('invoice_id', invoice.id)

    assert.equal(await deliverThankYou(thankYou.id), 'sent')
    assert.equal(await deliverThankYou(thankYou.id), 'skipped')

    const messages = sentMessages(fake)
    assert.lengthOf(messages, 1)
    messages[0].assertTo('ap@acme.test')
    const { subject, text } = messages[0].toJSON().message
    assert.equal(subject, 'Thank you for your payment: invoice F-500')
    assert.include(text, 'I have received the payment of invoice F-500 (€1,250.00). Thank you!')
    await thankYou.refresh()
    assert.equal(thankYou.status, 'sent')
  })

  test('nothing goes out once the user turned thank-yous off, or the payment is undone', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const switchedOff = await chasedInvoice(user)
    const undone = await chasedInvoice(user, { clientEmail: 'undone@acme.test' })
    await client.post(`/api/v1/invoices/${switchedOff.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${undone.id}/mark-paid`).loginAs(user)
    await client.patch('/api/v1/me').json({ thankClientsOnPayment: false }).loginAs(user)
    const first = await ThankYou.findByOrFail('invoice_id', switchedOff.id)
    assert.equal(await deliverThankYou(first.id), 'skipped')

    await client.patch('/api/v1/me').json({ thankClientsOnPayment: true }).loginAs(user)
    await Invoice.query().where('id', undone.id).update({ status: 'pending', paid_at: null })
    const second = await ThankYou.findByOrFail('invoice_id', undone.id)
    assert.equal(await deliverThankYou(second.id), 'skipped')

    assert.lengthOf(sentMessages(fake), 0)
  })

  test('pay and reopen cycles, with the client address changed between them, thank the client once', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice } = await paidChasedInvoice(client)
    const first = await ThankYou.findByOrFail('invoice_id', invoice.id)
    assert.equal(await deliverThankYou(first.id), 'sent')

    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const reopened = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)
      reopened.assertStatus(200)
      const moved = await client
        .patch(`/api/v1/clients/${invoice.clientId}`)
        .json({ email: `new-${n}@acme.test` })
        .loginAs(user)
      moved.assertStatus(200)
      const paid = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
      paid.assertStatus(200)
    }

    assert.lengthOf(await ThankYou.query().where('invoice_id', invoice.id), 1)
    // The first payment's job only (done: its row is sent), none for the later payments
    assert.deepEqual(await queuedJobIds('thank-yous'), [sendThankYouJob.jobId(first.id)])
    assert.lengthOf(sentMessages(fake), 1)
  })

  test('a thank-you waiting when its payment is undone is withdrawn; the next payment may thank', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await paidChasedInvoice(client)
    const reopened = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)
    reopened.assertStatus(200)
    const paid = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    paid.assertStatus(200)

    const rows = await ThankYou.query().where('invoice_id', invoice.id).orderBy('id')
    assert.deepEqual(
      rows.map((row) => row.status),
      ['cancelled', 'scheduled']
    )
  })

  test('a client is thanked once a day, however many of its invoices are paid, and the feed says why', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const first = await chasedInvoice(user, { clientEmail: 'twice@acme.test' })
    const second = await chasedInvoice(user, { clientEmail: 'twice@acme.test' })
    for (const invoice of [first, second]) {
      const paid = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
      paid.assertStatus(200)
    }
    const [thanked, skipped] = await ThankYou.query()
      .whereIn('invoice_id', [first.id, second.id])
      .orderBy('id')

    assert.equal(await deliverThankYou(thanked.id), 'sent')
    assert.equal(await deliverThankYou(skipped.id), 'skipped')
    await skipped.refresh()
    assert.equal(skipped.status, 'cancelled')
    const event = await ActivityEvent.query().where('type', 'thank_you_skipped').firstOrFail()
    assert.equal(event.invoiceId, second.id)
    assert.include(event.label, 'already thanked in the last 24 hours')
    assert.lengthOf(sentMessages(fake), 1)
  })

  test('thank-yous count in the daily cap of emails to clients, and are dropped past it', async ({
    client,
    assert,
    cleanup,
  }) => {
    const fake = mail.fake()
    const limit = env.get('MAX_CLIENT_EMAILS_PER_DAY')
    env.set('MAX_CLIENT_EMAILS_PER_DAY', 1)
    cleanup(() => env.set('MAX_CLIENT_EMAILS_PER_DAY', limit as number))
    const user = await UserFactory.create()
    const invoices = [
      await chasedInvoice(user, { clientEmail: 'one@acme.test' }),
      await chasedInvoice(user, { clientEmail: 'two@acme.test' }),
    ]
    for (const invoice of invoices) {
      const paid = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
      paid.assertStatus(200)
    }
    // The relances the helper marked sent have no sending time: none counts yet
    const [first, second] = await ThankYou.query()
      .whereIn(
        'invoice_id',
        invoices.map((invoice) => invoice.id)
      )
      .orderBy('id')

    assert.equal(await deliverThankYou(first.id), 'sent')
    assert.equal(await deliverThankYou(second.id), 'skipped')
    const event = await ActivityEvent.query().where('type', 'thank_you_skipped').firstOrFail()
    assert.include(event.label, 'the limit of 1 emails to clients a day is reached')
    assert.lengthOf(sentMessages(fake), 1)
  })

  test('a lost thank-you job is rebuilt from its row, under the same id', async ({
    client,
    assert,
  }) => {
    const { invoice } = await paidChasedInvoice(client)
    const thankYou = await ThankYou.findByOrFail('invoice_id', invoice.id)
    await resetQueues()

    const restored = await reconcileQueues({ graceSeconds: 0 })

    assert.equal(restored['thank-yous'], 1)
    assert.deepEqual(await queuedJobIds('thank-yous'), [sendThankYouJob.jobId(thankYou.id)])
  })
})

test.group('Thank-you worker', (group) => {
  let workers: Worker[] = []
  group.each.setup(() => resetState())
  group.each.setup(() => {
    registerWorker('thank-yous', sendThankYouJob)
    workers = startWorkers(['thank-yous'], 2)
    return async () => {
      await Promise.all(workers.map((worker) => worker.close()))
      mail.restore()
    }
  })

  test('the worker thanks the client once after the payment commits', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const { invoice } = await paidChasedInvoice(client, { clientEmail: 'paid@acme.test' })

    const thankYou = await waitFor('the thank-you to be sent', async () => {
      const row = await ThankYou.findBy('invoice_id', invoice.id)
      return row?.status === 'sent' ? row : undefined
    })
    // A job Redis replays finds its row sent
    const job = await getQueue('thank-yous').getJob(sendThankYouJob.jobId(thankYou.id))
    await waitFor('the job to complete', async () => (await job!.getState()) === 'completed')
    assert.lengthOf(sentMessages(fake), 1)
    assert.lengthOf(
      await Relance.query().where('invoice_id', invoice.id).where('status', 'scheduled'),
      0
    )
  })
})
