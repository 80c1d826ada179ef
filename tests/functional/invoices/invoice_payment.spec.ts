import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Invoice from '#models/invoice'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { invoiceStatusOf, rubisOf } from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { invoiceAndIntruder, storeInvoice, userWithInvoice } from '#tests/helpers/invoice_requests'

function eventsOf(invoiceId: number, type: string) {
  return ActivityEvent.query().where('invoice_id', invoiceId).where('type', type)
}

/** Statuses of the invoice's check-ins and relances, as stored. */
async function followUpsOf(invoiceId: number) {
  const checkins = await CheckinTask.query().where('invoice_id', invoiceId).orderBy('id')
  const relances = await Relance.query().where('invoice_id', invoiceId).orderBy('sequence')
  return {
    checkins: checkins.map((task) => task.status),
    relances: relances.map((relance) => relance.status),
  }
}

test.group('Invoices / mark-paid', (group) => {
  group.each.setup(() => resetState())

  test('mark-paid pays the invoice manually and answers it with its follow-ups cancelled', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    const startedAt = DateTime.now().minus({ seconds: 1 })

    const response = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    response.assertStatus(200)
    const body = response.body().data
    assert.containSubset(body, {
      id: invoice.id,
      status: 'paid',
      paidVia: 'manual',
      checkin: { status: 'cancelled' },
    })
    assert.isTrue(DateTime.fromISO(body.paidAt) >= startedAt)
    assert.deepEqual(
      body.relances.map((relance: any) => relance.status),
      ['cancelled', 'cancelled', 'cancelled']
    )
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.status, 'paid')
    assert.equal(stored.paidVia, 'manual')
    assert.deepEqual(await followUpsOf(invoice.id), {
      checkins: ['cancelled'],
      relances: ['cancelled', 'cancelled', 'cancelled'],
    })
  })

  test('mark-paid earns one rubis, shown by GET /me', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)

    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const me = await client.get('/api/v1/me').loginAs(user)
    assert.equal(me.body().data.rubis, 1)
  })

  test('mark-paid records one invoice_paid activity event', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)

    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const events = await eventsOf(invoice.id, 'invoice_paid')
    assert.lengthOf(events, 1)
    assert.equal(events[0].userId, user.id)
    assert.include(events[0].label, 'F-2026-001')
    assert.containSubset(events[0].metadata, { via: 'manual', amountCents: 150_000 })
  })

  test('mark-paid removes the check-in and relance jobs from the queues', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    assert.lengthOf(await queuedJobIds('checkins'), 1)
    assert.lengthOf(await queuedJobIds('relances'), 3)

    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    assert.deepEqual(await queuedJobIds('checkins'), [])
    assert.deepEqual(await queuedJobIds('relances'), [])
  })

  test('paying one invoice leaves the jobs of the user’s other invoices queued', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const paid = await storeInvoice(client, user, { number: 'F-1' })
    const other = await storeInvoice(client, user, { number: 'F-2' })

    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)

    const [otherTask] = await CheckinTask.query().where('invoice_id', other.id)
    const otherRelances = await Relance.query().where('invoice_id', other.id)
    assert.deepEqual(await queuedJobIds('checkins'), [`checkin-${otherTask.id}`])
    assert.deepEqual(
      await queuedJobIds('relances'),
      otherRelances.map((relance) => `relance-${relance.id}`).sort()
    )
    assert.deepEqual(await followUpsOf(other.id), {
      checkins: ['scheduled'],
      relances: ['scheduled', 'scheduled', 'scheduled'],
    })
  })

  test('a second mark-paid answers 200 without a second rubis or event', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    const first = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const second = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    second.assertStatus(200)
    assert.equal(second.body().data.status, 'paid')
    assert.equal(second.body().data.paidAt, first.body().data.paidAt)
    assert.equal(await rubisOf(user.id), 1)
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_paid'), 1)
  })

  test('twenty concurrent mark-paid calls earn one rubis and one invoice_paid event', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
      )
    )

    assert.deepEqual(
      responses.map((response) => response.status()),
      Array(20).fill(200)
    )
    assert.isTrue(responses.every((response) => response.body().data.status === 'paid'))
    assert.lengthOf(new Set(responses.map((response) => response.body().data.paidAt)), 1)
    assert.equal(await rubisOf(user.id), 1)
    assert.equal(
      await countRows('activity_events', { invoice_id: invoice.id, type: 'invoice_paid' }),
      1
    )
    assert.deepEqual(await queuedJobIds('checkins'), [])
    assert.deepEqual(await queuedJobIds('relances'), [])
  })

  test('mark-paid answers 409 for a cancelled invoice and pays nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    assertErrorBody(assert, response, 409)
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.status, 'cancelled')
    assert.isNull(stored.paidAt)
    assert.equal(await rubisOf(user.id), 0)
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_paid'), 0)
  })

  test('mark-paid answers 404 for another user’s invoice, and nobody earns a rubis', async ({
    client,
    assert,
  }) => {
    const { owner, intruder, invoice } = await invoiceAndIntruder(client)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(intruder)

    assertErrorBody(assert, response, 404)
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
    assert.equal(await rubisOf(owner.id), 0)
    assert.equal(await rubisOf(intruder.id), 0)
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_paid'), 0)
    assert.lengthOf(await queuedJobIds('relances'), 3)
  })

  test('mark-paid answers 404 for an id that does not exist', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await client.post('/api/v1/invoices/424242/mark-paid').loginAs(user)

    assertErrorBody(assert, response, 404)
    assert.equal(await rubisOf(user.id), 0)
  })

  test('mark-paid answers 401 without a token', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)

    assertErrorBody(assert, await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`), 401)
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
    assert.equal(await rubisOf(user.id), 0)
  })
})

test.group('Invoices / cancel', (group) => {
  group.each.setup(() => resetState())

  test('cancel cancels the invoice, its check-in and its relances', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    response.assertStatus(200)
    const body = response.body().data
    assert.containSubset(body, {
      id: invoice.id,
      status: 'cancelled',
      paidAt: null,
      paidVia: null,
      checkin: { status: 'cancelled' },
    })
    assert.deepEqual(
      body.relances.map((relance: any) => relance.status),
      ['cancelled', 'cancelled', 'cancelled']
    )
    assert.equal(await invoiceStatusOf(invoice.id), 'cancelled')
    assert.deepEqual(await followUpsOf(invoice.id), {
      checkins: ['cancelled'],
      relances: ['cancelled', 'cancelled', 'cancelled'],
    })
    assert.equal(await rubisOf(user.id), 0)
  })

  test('cancel removes the check-in and relance jobs and records an event', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)

    await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    assert.deepEqual(await queuedJobIds('checkins'), [])
    assert.deepEqual(await queuedJobIds('relances'), [])
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_cancelled'), 1)
  })

  test('cancelling twice answers 200 and records one event', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    const again = await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    again.assertStatus(200)
    assert.equal(again.body().data.status, 'cancelled')
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_cancelled'), 1)
  })

  test('a paid invoice cannot be cancelled: 409, and it stays paid', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)

    assertErrorBody(assert, response, 409)
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.status, 'paid')
    assert.equal(stored.paidVia, 'manual')
    assert.equal(await rubisOf(user.id), 1)
    assert.lengthOf(await eventsOf(invoice.id, 'invoice_cancelled'), 0)
  })

  test('cancel answers 404 for another user’s invoice and leaves it scheduled', async ({
    client,
    assert,
  }) => {
    const { intruder, invoice } = await invoiceAndIntruder(client)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(intruder)

    assertErrorBody(assert, response, 404)
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
    assert.deepEqual(await followUpsOf(invoice.id), {
      checkins: ['scheduled'],
      relances: ['scheduled', 'scheduled', 'scheduled'],
    })
    assert.lengthOf(await queuedJobIds('checkins'), 1)
    assert.lengthOf(await queuedJobIds('relances'), 3)
  })

  test('cancel answers 404 for an id that does not exist', async ({ client, assert }) => {
    const user = await UserFactory.create()

    assertErrorBody(assert, await client.post('/api/v1/invoices/424242/cancel').loginAs(user), 404)
  })

  test('cancel answers 401 without a token', async ({ client, assert }) => {
    const { invoice } = await userWithInvoice(client)

    assertErrorBody(assert, await client.post(`/api/v1/invoices/${invoice.id}/cancel`), 401)
    assert.equal(await invoiceStatusOf(invoice.id), 'pending')
  })
})
