import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import Invoice from '#models/invoice'
import User from '#models/user'
import WebhookDelivery from '#models/webhook_delivery'
import { UserFactory } from '#database/factories/user_factory'
import deliverWebhookJob from '#jobs/deliver_webhook_job'
import { answerCheckin } from '#services/checkins/checkin_answers'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { deliverRelance, markRelanceFailed } from '#services/relances/relance_delivery'
import {
  createScheduledInvoice,
  invoiceWithDueRelance,
  invoiceWithSentCheckin,
} from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { subscribe } from '#tests/helpers/webhook_receiver'
import { clientFormPath, sentRelanceEmailOf } from '#tests/helpers/client_page'
import { dayFromToday } from '#tests/helpers/calendar'

const HOOK = 'https://hooks.relance.test/incoming'

/** The deliveries written, oldest first, with their payload. */
function deliveries() {
  return WebhookDelivery.query().orderBy('id')
}

/** Each event written: its type, the invoice of its data and its own fields. */
async function eventsWritten() {
  const rows = await deliveries()
  return rows.map(({ eventType, payload }) => {
    const { invoice, ...fields } = (payload as any).data
    return { eventType, invoice, fields }
  })
}

test.group('Webhook outbox', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('mark-paid writes invoice.paid for each subscribed endpoint: the invoice as the API returns it, queued after commit', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, { number: 'F-WH-1' })
    const first = await subscribe(user, `${HOOK}/1`, ['invoice.paid'])
    const second = await subscribe(user, `${HOOK}/2`, ['invoice.paid', 'invoice.cancelled'])
    await subscribe(user, `${HOOK}/3`, ['invoice.cancelled'])
    const disabled = await subscribe(user, `${HOOK}/4`, ['invoice.paid'])
    await disabled.endpoint.merge({ disabledAt: DateTime.now() }).save()
    // Another user's endpoint hears nothing of this invoice
    await subscribe(await UserFactory.create(), `${HOOK}/5`)

    const paid = await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    paid.assertStatus(200)

    const written = await deliveries()
    assert.deepEqual(
      written.map((delivery) => delivery.endpointId),
      [first.endpoint.id, second.endpoint.id]
    )
    const [one, two] = written
    assert.equal(one.messageId, two.messageId, 'one event, one message id')
    assert.match(one.messageId, /^msg_[0-9a-f]{32}$/)
    for (const delivery of written) {
      assert.equal(delivery.eventType, 'invoice.paid')
      assert.equal(delivery.status, 'scheduled')
      assert.equal(delivery.attempts, 0)
      const { type, timestamp, data } = delivery.payload as any
      assert.equal(type, 'invoice.paid')
      assert.isTrue(DateTime.fromISO(timestamp).isValid)
      assert.deepEqual(data, { invoice: paid.body().data, paymentNumber: 1 })
    }
    assert.sameMembers(
      await queuedJobIds('webhooks'),
      written.map((delivery) => deliverWebhookJob.jobId(delivery.id))
    )
  })

  test('a change rolled back leaves no delivery and queues no job', async ({ assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    await subscribe(user, HOOK)

    await assert.rejects(() =>
      db.transaction(async (trx) => {
        const locked = await Invoice.query({ client: trx })
          .where('id', invoice.id)
          .forUpdate()
          .firstOrFail()
        await markInvoicePaid(locked, { via: 'manual' }, trx)
        const [{ total }] = await trx.from('webhook_deliveries').count('* as total')
        assert.equal(Number(total), 1)
        throw new Error('rolled back')
      })
    )

    assert.equal(await countRows('webhook_deliveries'), 0)
    assert.deepEqual(await queuedJobIds('webhooks'), [])
  })

  test('cancel, reopen and pay again write invoice.cancelled, invoice.reopened and a second invoice.paid', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const toCancel = await createScheduledInvoice(user)
    const toReopen = await createScheduledInvoice(user)
    await subscribe(user, HOOK)

    await client.post(`/api/v1/invoices/${toCancel.id}/cancel`).loginAs(user)
    await client.post(`/api/v1/invoices/${toReopen.id}/mark-paid`).loginAs(user)
    const reopened = await client.post(`/api/v1/invoices/${toReopen.id}/reopen`).loginAs(user)
    await client.post(`/api/v1/invoices/${toReopen.id}/mark-paid`).loginAs(user)

    const events = await eventsWritten()
    const written = events.map(({ eventType, invoice, fields }) => {
      return { eventType, invoiceId: invoice.id, status: invoice.status, fields }
    })
    assert.deepEqual(written, [
      { eventType: 'invoice.cancelled', invoiceId: toCancel.id, status: 'cancelled', fields: {} },
      {
        eventType: 'invoice.paid',
        invoiceId: toReopen.id,
        status: 'paid',
        fields: { paymentNumber: 1 },
      },
      {
        eventType: 'invoice.reopened',
        invoiceId: toReopen.id,
        status: 'pending',
        fields: { paymentNumber: 1 },
      },
      {
        eventType: 'invoice.paid',
        invoiceId: toReopen.id,
        status: 'paid',
        fields: { paymentNumber: 2 },
      },
    ])
    // The reopened invoice's data is what the reopen answered: its relances back
    assert.deepEqual(events[2].invoice, reopened.body().data)
  })

  test('a check-in answer writes checkin.answered, and paid also invoice.paid', async ({
    assert,
  }) => {
    const paid = await invoiceWithSentCheckin()
    const pending = await invoiceWithSentCheckin()
    await subscribe(paid.user, HOOK, ['checkin.answered', 'invoice.paid'])
    await subscribe(pending.user, HOOK, ['checkin.answered', 'invoice.paid'])

    assert.equal(await db.transaction((trx) => answerCheckin(paid.token, 'paid', trx)), 'paid')
    assert.equal(
      await db.transaction((trx) => answerCheckin(pending.token, 'pending', trx)),
      'pending'
    )

    const events = await eventsWritten()
    const written = events.map(({ eventType, invoice, fields }) => {
      return { eventType, invoiceId: invoice.id, answer: invoice.checkin.answer, fields }
    })
    assert.deepEqual(written, [
      {
        eventType: 'invoice.paid',
        invoiceId: paid.invoice.id,
        answer: 'paid',
        fields: { paymentNumber: 1 },
      },
      {
        eventType: 'checkin.answered',
        invoiceId: paid.invoice.id,
        answer: 'paid',
        fields: { answer: 'paid' },
      },
      {
        eventType: 'checkin.answered',
        invoiceId: pending.invoice.id,
        // The invoice's `checkin` is its latest: the one before its next relance, not yet sent
        answer: null,
        fields: { answer: 'still_pending' },
      },
    ])
  })

  test('a relance sent writes relance.sent, one failed for good relance.failed', async ({
    assert,
  }) => {
    mail.fake()
    const sent = await invoiceWithDueRelance()
    const failed = await invoiceWithDueRelance()
    await subscribe(sent.user, HOOK, ['relance.sent', 'relance.failed'])
    await subscribe(failed.user, HOOK, ['relance.sent', 'relance.failed'])

    assert.deepEqual(await deliverRelance(sent.relance.id), { kind: 'sent' })
    await markRelanceFailed(failed.relance.id, "the client's mail server refused the address")

    const events = await eventsWritten()
    const written = events.map(({ eventType, invoice, fields }) => {
      return { eventType, invoiceId: invoice.id, relance: invoice.relances[0].status, fields }
    })
    assert.deepEqual(written, [
      {
        eventType: 'relance.sent',
        invoiceId: sent.invoice.id,
        relance: 'sent',
        fields: { sequence: 1 },
      },
      {
        eventType: 'relance.failed',
        invoiceId: failed.invoice.id,
        relance: 'failed',
        fields: { sequence: 1, reason: "the client's mail server refused the address" },
      },
    ])
  })

  test("the client's page writes client.payment_reported, client.payment_promised and client.disputed", async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-WH-CLIENT',
      dueDate: dayFromToday(-5),
    })
    await subscribe(user, HOOK, [
      'client.payment_reported',
      'client.payment_promised',
      'client.disputed',
    ])
    const { token } = await sentRelanceEmailOf(invoice)
    const promisedOn = DateTime.now().setZone(user.timezone).plus({ days: 10 }).toISODate()!
    const post = (action: 'paid' | 'promise' | 'dispute', fields: Record<string, string>) =>
      client
        .post(clientFormPath(token, invoice.id, action))
        .form(fields)
        .redirects(0)

    for (const [action, fields] of [
      ['paid', { paidOn: '', note: 'Virement fait' }],
      ['promise', { promisedOn }],
      ['dispute', { message: 'Le montant est faux' }],
    ] as const) {
      const answer = await post(action, fields)
      answer.assertStatus(303)
    }

    const written = await eventsWritten()
    assert.deepEqual(
      written.map(({ eventType, fields }) => ({ eventType, fields })),
      [
        { eventType: 'client.payment_reported', fields: { paidOn: null, note: 'Virement fait' } },
        { eventType: 'client.payment_promised', fields: { promisedOn } },
        { eventType: 'client.disputed', fields: { message: 'Le montant est faux' } },
      ]
    )
    assert.deepEqual(
      written.map(({ invoice: data }) => data.hold?.reason),
      ['payment_reported', 'payment_promised', 'disputed']
    )
  })

  test('a check-in click asks who subscribed only when its user has an endpoint enabled', async ({
    assert,
  }) => {
    const without = await invoiceWithSentCheckin()
    const disabled = await invoiceWithSentCheckin()
    const subscribed = await invoiceWithSentCheckin()
    const { endpoint } = await subscribe(disabled.user, HOOK, ['invoice.paid'])
    await db.from('webhook_endpoints').where('id', endpoint.id).update({ disabled_at: new Date() })
    await subscribe(subscribed.user, HOOK, ['invoice.paid'])

    /** The statements of one paid click that ask who subscribed. */
    const lookUps = async (token: string) => {
      const statements: string[] = []
      const listener = (query: { sql: string }) => statements.push(query.sql)
      const knex = db.connection().getWriteClient()
      knex.on('query', listener)
      try {
        assert.equal(await db.transaction((trx) => answerCheckin(token, 'paid', trx)), 'paid')
      } finally {
        knex.off('query', listener)
      }
      return statements.filter((sql) => sql.includes('JOIN webhook_endpoints')).length
    }

    assert.equal(await lookUps(without.token), 0)
    assert.equal(await lookUps(disabled.token), 0)
    assert.equal(await lookUps(subscribed.token), 1)
    const written = await deliveries()
    assert.deepEqual(
      written.map((delivery) => (delivery.payload as any).data.invoice.id),
      [subscribed.invoice.id]
    )
  })

  test('without a subscribed endpoint nothing is written, in one statement', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    await subscribe(user, HOOK, ['relance.sent'])
    const statements: string[] = []
    const listener = (query: { sql: string }) => statements.push(query.sql)
    const knex = db.connection().getWriteClient()
    knex.on('query', listener)
    try {
      await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)
    } finally {
      knex.off('query', listener)
    }
    assert.equal(await countRows('webhook_deliveries'), 0)
    assert.lengthOf(
      statements.filter((sql) => sql.includes('webhook')),
      1,
      statements.join('\n')
    )
    const paidBy = await User.findOrFail(user.id)
    assert.equal(paidBy.rubis, 1)
  })
})
