import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import webhooksConfig from '#config/webhooks'
import ActivityEvent from '#models/activity_event'
import WebhookDelivery from '#models/webhook_delivery'
import WebhookEndpoint from '#models/webhook_endpoint'
import { UserFactory } from '#database/factories/user_factory'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { deliverWebhook } from '#services/webhooks/webhook_delivery'
import { findInvoiceForUpdate } from '#services/invoices/invoice_queries'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import {
  subscribe,
  verifiedWebhook,
  WebhookReceiver,
  type ReceivedWebhook,
} from '#tests/helpers/webhook_receiver'
import { underProductionRules, withoutOutboundSockets } from '#tests/helpers/webhook_targets'

/**
 * A user's paid invoice whose invoice.paid waits in the outbox for an
 * endpoint at `url`: the delivery, with the endpoint's secret.
 */
async function paidInvoiceFor(url: string) {
  const user = await UserFactory.create()
  const invoice = await createScheduledInvoice(user, { number: 'F-HOOK-1' })
  const { endpoint, secret } = await subscribe(user, url, ['invoice.paid'])
  await db.transaction(async (trx) =>
    markInvoicePaid(await findInvoiceForUpdate(user.id, invoice.id, trx), { via: 'manual' }, trx)
  )
  const delivery = await WebhookDelivery.findByOrFail('endpoint_id', endpoint.id)
  return { user, invoice, endpoint, secret, delivery }
}

/** What an attempt came to. */
const kindOf = (deliveryId: number) => deliverWebhook(deliveryId).then((outcome) => outcome.kind)

const receivers: WebhookReceiver[] = []

async function receiver(...answers: Parameters<typeof WebhookReceiver.start>[0] & unknown[]) {
  const started = await WebhookReceiver.start(answers)
  receivers.push(started)
  return started
}

test.group('Webhook delivery', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(async () => {
    await Promise.all(receivers.splice(0).map((started) => started.close()))
  })

  test('a delivery is POSTed once with Standard Webhooks headers that verify with the secret', async ({
    assert,
  }) => {
    const hooks = await receiver(204)
    const { delivery, secret, invoice } = await paidInvoiceFor(hooks.url())

    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'delivered' })

    assert.lengthOf(hooks.requests, 1)
    const [request] = hooks.requests
    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal(request.headers['webhook-id'], delivery.messageId)
    const verified = verifiedWebhook(secret, request)
    assert.equal(verified.type, 'invoice.paid')
    assert.equal(verified.data.invoice.id, invoice.id)
    assert.equal(request.body, JSON.stringify(delivery.payload), 'the body is the stored payload')

    await delivery.refresh()
    assert.equal(delivery.status, 'delivered')
    assert.equal(delivery.attempts, 1)
    assert.equal(delivery.lastStatusCode, 204)
    assert.isNotNull(delivery.deliveredAt)
    // Again (a duplicate job): nothing more is sent
    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'skipped' })
    assert.lengthOf(hooks.requests, 1)
  })

  test('an answer other than 2xx is retried after the configured delay, with the same id, until a 2xx', async ({
    assert,
  }) => {
    const hooks = await receiver(500, 503)
    const { delivery, endpoint, secret } = await paidInvoiceFor(hooks.url())

    const first = await deliverWebhook(delivery.id)
    assert.equal(first.kind, 'retry')
    await delivery.refresh()
    assert.equal(delivery.status, 'scheduled')
    assert.equal(delivery.attempts, 1)
    assert.equal(delivery.lastStatusCode, 500)
    assert.equal(delivery.lastError, 'answered HTTP 500')
    const waited = delivery.scheduledAt.diff(DateTime.fromISO(delivery.attemptLog[0].at)).toMillis()
    assert.closeTo(waited, webhooksConfig.retryDelaysMs[0], 1_000)
    await endpoint.refresh()
    assert.isNotNull(endpoint.failingSince)

    // The job fires at its moment: played here by moving the row's moment to now
    await delivery.merge({ scheduledAt: DateTime.now() }).save()
    assert.equal(await kindOf(delivery.id), 'retry')
    await delivery.merge({ scheduledAt: DateTime.now() }).save()
    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'delivered' })

    await delivery.refresh()
    assert.equal(delivery.attempts, 3)
    assert.deepEqual(
      delivery.attemptLog.map((attempt) => [attempt.statusCode, attempt.response]),
      [
        [500, 'answered 500'],
        [503, 'answered 503'],
        [200, 'answered 200'],
      ]
    )
    const ids = new Set(hooks.requests.map((request) => request.headers['webhook-id']))
    assert.deepEqual([...ids], [delivery.messageId])
    hooks.requests.forEach((request: ReceivedWebhook) => verifiedWebhook(secret, request))
    await endpoint.refresh()
    assert.isNull(endpoint.failingSince, 'a success ends the failing streak')
  })

  test('a job that fires early, or while another attempt holds the delivery, waits', async ({
    assert,
  }) => {
    const hooks = await receiver()
    const { delivery } = await paidInvoiceFor(hooks.url())
    const later = DateTime.now().plus({ minutes: 5 })

    await delivery.merge({ scheduledAt: later }).save()
    const early = await deliverWebhook(delivery.id)
    assert.equal(early.kind, 'retry')
    assert.equal(early.kind === 'retry' && early.at.toMillis(), later.toMillis())

    const leased = DateTime.now().plus({ seconds: 20 })
    await delivery.merge({ scheduledAt: DateTime.now(), leasedUntil: leased }).save()
    const held = await deliverWebhook(delivery.id)
    assert.equal(held.kind === 'retry' && held.at.toMillis(), leased.toMillis())
    assert.lengthOf(hooks.requests, 0)
  })

  test('after the last attempt the delivery fails for good', async ({ assert }) => {
    const hooks = await receiver(410)
    const { delivery } = await paidInvoiceFor(hooks.url())
    await delivery.merge({ attempts: webhooksConfig.retryDelaysMs.length }).save()

    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'failed' })
    await delivery.refresh()
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.attempts, webhooksConfig.retryDelaysMs.length + 1)
    assert.equal(delivery.lastStatusCode, 410)
  })

  test('an endpoint failing for 5 days is disabled, its waiting deliveries fail, the feed says so', async ({
    assert,
  }) => {
    const hooks = await receiver(500)
    const { delivery, endpoint, user } = await paidInvoiceFor(hooks.url())
    const another = await createScheduledInvoice(user)
    await db.transaction(async (trx) =>
      markInvoicePaid(await findInvoiceForUpdate(user.id, another.id, trx), { via: 'manual' }, trx)
    )
    await endpoint.merge({ failingSince: DateTime.now().minus({ days: 5, minutes: 1 }) }).save()

    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'failed' })

    await endpoint.refresh()
    assert.isNotNull(endpoint.disabledAt)
    const statuses = await WebhookDelivery.query().where('endpoint_id', endpoint.id).orderBy('id')
    assert.deepEqual(
      statuses.map((row) => [row.status, row.lastError]),
      [
        ['failed', 'the endpoint is disabled'],
        ['failed', 'the endpoint is disabled'],
      ]
    )
    const event = await ActivityEvent.findByOrFail('type', 'webhook_endpoint_disabled')
    assert.equal(event.userId, user.id)
    assert.include(event.label, hooks.url())
    // Nothing more is written for it
    const third = await createScheduledInvoice(user)
    await db.transaction(async (trx) =>
      markInvoicePaid(await findInvoiceForUpdate(user.id, third.id, trx), { via: 'manual' }, trx)
    )
    assert.equal(
      await WebhookDelivery.query()
        .where('endpoint_id', endpoint.id)
        .count('* as n')
        .then(([row]) => Number(row.$extras.n)),
      2
    )
  })

  test('a redirect is an answer, not followed; an answer is read up to 64 KB only', async ({
    assert,
  }) => {
    const elsewhere = await receiver()
    const hooks = await receiver(
      (response) => response.writeHead(307, { location: elsewhere.url() }).end(),
      (response) => {
        // 10 MB, in chunks, to a client that stops reading at 64 KB
        response.writeHead(200, { 'content-type': 'text/plain' })
        const chunk = 'x'.repeat(64 * 1024)
        let sent = 0
        const write = () => {
          while (sent < 160 && response.write(chunk)) sent++
          if (sent < 160) response.once('drain', write)
          else response.end()
        }
        response.on('error', () => {})
        write()
      }
    )
    const { delivery } = await paidInvoiceFor(hooks.url())

    assert.equal(await kindOf(delivery.id), 'retry')
    await delivery.refresh()
    assert.equal(delivery.lastStatusCode, 307)
    assert.lengthOf(elsewhere.requests, 0)

    await delivery.merge({ scheduledAt: DateTime.now() }).save()
    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'delivered' })
    await delivery.refresh()
    assert.lengthOf(delivery.attemptLog[1].response!, webhooksConfig.keptResponseCharacters)
  })

  test('a receiver that does not answer in time is a failed attempt', async ({ assert }) => {
    const hooks = await receiver(() => {})
    const { delivery } = await paidInvoiceFor(hooks.url())
    const timeoutMs = webhooksConfig.timeoutMs
    webhooksConfig.timeoutMs = 300
    try {
      const started = Date.now()
      assert.equal(await kindOf(delivery.id), 'retry')
      assert.isBelow(Date.now() - started, 5_000)
    } finally {
      webhooksConfig.timeoutMs = timeoutMs
    }
    await delivery.refresh()
    assert.isNull(delivery.lastStatusCode)
    assert.equal(delivery.lastError, 'no answer within 0.3 s')
  })

  test('in production mode an endpoint that points to a private, loopback or metadata address is refused at delivery, before any connection', async ({
    assert,
  }) => {
    const hooks = await receiver()
    // Saved when the rules were not checked (or when its name resolved elsewhere)
    const targets = [
      hooks.url('127.0.0.1', 'https'),
      hooks.url('localhost', 'https'),
      hooks.url('[::1]', 'https'),
      'https://10.0.0.1/hooks',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::ffff:192.168.0.1]/hooks',
      hooks.url('127.0.0.1', 'http'),
    ]
    const { delivery, endpoint } = await paidInvoiceFor(targets[0])

    await underProductionRules(() =>
      withoutOutboundSockets(async (attempted) => {
        for (const url of targets) {
          await endpoint.merge({ url }).save()
          await delivery.merge({ scheduledAt: DateTime.now() }).save()
          assert.equal(await kindOf(delivery.id), 'retry', url)
          await delivery.refresh()
          assert.isNull(delivery.lastStatusCode, url)
          assert.match(
            delivery.lastError!,
            /^refused: (.* which is not a public address|not an https URL)$/,
            url
          )
        }
        assert.deepEqual(attempted, [], 'no socket towards another machine')
      })
    )
    assert.equal(hooks.connections, 0)
    assert.lengthOf(hooks.requests, 0)
    await endpoint.refresh()
    assert.isNull(endpoint.disabledAt)
  })

  test('a delivery whose endpoint was deleted is skipped', async ({ assert }) => {
    const hooks = await receiver()
    const { delivery, endpoint } = await paidInvoiceFor(hooks.url())
    await WebhookEndpoint.query().where('id', endpoint.id).delete()

    assert.deepEqual(await deliverWebhook(delivery.id), { kind: 'skipped' })
    assert.lengthOf(hooks.requests, 0)
  })
})
