import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import Relance from '#models/relance'
import CheckinTask from '#models/checkin_task'
import ActivityEvent from '#models/activity_event'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendRelanceJob from '#jobs/send_relance_job'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { invoiceStatusOf, rubisOf } from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { invoiceAndIntruder, userWithInvoice } from '#tests/helpers/invoice_requests'

function eventsOf(invoiceId: number, type: string) {
  return ActivityEvent.query().where('invoice_id', invoiceId).where('type', type).orderBy('id')
}

test.group('Invoices / reopen', (group) => {
  group.each.setup(() => resetState())

  test('reopening a paid invoice makes it pending again, takes the rubis back and records invoice_reopened', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    assert.equal(await rubisOf(user.id), 1)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    response.assertStatus(200)
    assert.containSubset(response.body().data, {
      id: invoice.id,
      status: 'pending',
      paidAt: null,
      paidVia: null,
      checkin: { status: 'scheduled' },
    })
    assert.equal(await rubisOf(user.id), 0)
    const [reopened] = await eventsOf(invoice.id, 'invoice_reopened')
    assert.include(reopened.label, 'F-2026-001')
    assert.containSubset(reopened.metadata, { paymentNumber: 1 })
  })

  test('the relances the payment cancelled come back with their jobs, and a new check-in is scheduled', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    assert.deepEqual(await queuedJobIds('relances'), [])

    await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    const relances = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      relances.map((relance) => relance.status),
      ['scheduled', 'scheduled', 'scheduled']
    )
    assert.deepEqual(
      await queuedJobIds('relances'),
      relances.map((relance) => sendRelanceJob.jobId(relance.id)).sort()
    )
    const checkins = await CheckinTask.query().where('invoice_id', invoice.id).orderBy('id')
    assert.deepEqual(
      checkins.map((task) => task.status),
      ['cancelled', 'scheduled']
    )
    assert.deepEqual(await queuedJobIds('checkins'), [sendCheckinJob.jobId(checkins[1].id)])
  })

  test('a relance whose time passed while the invoice was paid stays cancelled', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    await Relance.query()
      .where('invoice_id', invoice.id)
      .where('sequence', 1)
      .update({ scheduled_at: DateTime.now().minus({ hours: 1 }).toJSDate() })

    await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    const relances = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      relances.map((relance) => relance.status),
      ['cancelled', 'scheduled', 'scheduled']
    )
  })

  test('paying a reopened invoice again earns a rubis again, with one invoice_paid event per payment', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    assert.equal(await rubisOf(user.id), 1)
    const payments = await eventsOf(invoice.id, 'invoice_paid')
    assert.deepEqual(
      payments.map((event) => event.metadata.paymentNumber),
      [1, 2]
    )
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
  })

  test('the rubis never goes below zero', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    await User.query().where('id', user.id).update({ rubis: 0 })

    const response = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    response.assertStatus(200)
    assert.equal(await rubisOf(user.id), 0)
  })

  test('reopening an invoice that is not paid answers 409 and changes nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)

    const pending = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)
    await client.post(`/api/v1/invoices/${invoice.id}/cancel`).loginAs(user)
    const cancelled = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(user)

    for (const response of [pending, cancelled]) {
      const [error] = assertErrorBody(assert, response, 409)
      assert.equal(error.message, 'Only a paid invoice can be reopened')
    }
    assert.equal(await invoiceStatusOf(invoice.id), 'cancelled')
    assert.equal(await countRows('activity_events', { type: 'invoice_reopened' }), 0)
  })

  test('another user’s invoice cannot be reopened: 404', async ({ client, assert }) => {
    const { owner, intruder, invoice } = await invoiceAndIntruder(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(owner)

    const response = await client.post(`/api/v1/invoices/${invoice.id}/reopen`).loginAs(intruder)

    assertErrorBody(assert, response, 404)
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
  })

  test('under 20 concurrent mark-paid and reopen calls the rubis equals payments minus reopens', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)

    const calls = Array.from({ length: 20 }, (_, index) =>
      client
        .post(`/api/v1/invoices/${invoice.id}/${index % 2 === 0 ? 'mark-paid' : 'reopen'}`)
        .loginAs(user)
    )
    const responses = await Promise.all(calls)

    for (const response of responses) assert.oneOf(response.status(), [200, 409])
    const payments = await countRows('activity_events', { type: 'invoice_paid' })
    const reopens = await countRows('activity_events', { type: 'invoice_reopened' })
    assert.isAbove(payments, 0)
    assert.equal(await rubisOf(user.id), payments - reopens)
    const paidNow = (await invoiceStatusOf(invoice.id)) === 'paid'
    assert.equal(payments - reopens, paidNow ? 1 : 0)
    const paymentEvents = await eventsOf(invoice.id, 'invoice_paid')
    const numbers = paymentEvents.map((event) => event.metadata.paymentNumber)
    assert.deepEqual(
      numbers,
      numbers.map((_, index) => index + 1)
    )
  })

  test('the database refuses a second event for the same payment', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    const duplicate = db.table('activity_events').insert({
      user_id: user.id,
      invoice_id: invoice.id,
      type: 'invoice_paid',
      label: 'duplicate',
      metadata: JSON.stringify({ paymentNumber: 1 }),
      created_at: new Date(),
    })

    await assert.rejects(() => duplicate, /activity_events_one_event_per_payment/)
  })
})
