import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import {
  AppProcess,
  callApi,
  postInvoiceOn,
  registerVerifiedOn,
  startWeb,
} from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { dropQueueKeys } from '#tests/helpers/state'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'
import { verifiedWebhook, WebhookReceiver } from '#tests/helpers/webhook_receiver'

/** Short waits between attempts: configuration, as an operator would set it. */
const FAST_RETRIES = {
  WEBHOOK_RETRY_DELAYS: '200ms,200ms,200ms,200ms',
  WEBHOOK_ALLOW_PRIVATE: 'true',
}

/**
 * Registers a verified freelancer on the running app, subscribes `receiver`
 * to every event through the API, and creates an invoice due yesterday
 * whose check-in email arrives: the token of its paid link.
 */
async function paidLinkWithReceiver(
  scene: ReturnType<typeof processSceneForEach>,
  receiver: WebhookReceiver,
  app = scene.app
) {
  const token = await registerVerifiedOn(app, scene.inbox, 'camille@example.test')
  const subscribed = await callApi(app, 'POST', '/webhooks', {
    token,
    body: { url: receiver.url(), events: ['invoice.paid'] },
  })
  if (subscribed.status !== 201) throw new Error(JSON.stringify(subscribed.body))
  const created = await postInvoiceOn(app, token, { number: 'F-2026-300', amountCents: 90_000 })
  const [mail] = await scene.inbox.waitForMessageTo('camille@example.test')
  return {
    token,
    invoiceId: created.body.data.id as number,
    endpoint: subscribed.body.data as { id: number; secret: string },
    checkinToken: checkinTokenFrom(mail),
  }
}

/** Clicks the paid link; resolves with the status of the answer. */
function click(app: { baseUrl: string }, checkinToken: string) {
  return fetch(`${app.baseUrl}/api/v1/checkin/${checkinToken}/paid`, { redirect: 'manual' }).then(
    (response) => response.status
  )
}

test.group('Webhooks end to end', (group) => {
  const scene = processSceneForEach(group, {
    app: { CHECKIN_PAST_DUE_DELAY_MS: '200', ...FAST_RETRIES },
  })
  let receiver: WebhookReceiver
  group.each.setup(async () => {
    receiver = await WebhookReceiver.start()
    return () => receiver.close()
  })

  test('a check-in click reaches the endpoint as invoice.paid within 5 s, signed with its secret', async ({
    assert,
  }) => {
    const { app } = scene
    const { endpoint, checkinToken, invoiceId, token } = await paidLinkWithReceiver(scene, receiver)

    const clickedAt = Date.now()
    assert.equal(await click(app, checkinToken), 302)
    const [request] = await receiver.waitForRequests(1, 5_000)
    assert.isBelow(request.at - clickedAt, 5_000)

    const event = verifiedWebhook(endpoint.secret, request)
    assert.equal(event.type, 'invoice.paid')
    assert.equal(event.data.invoice.id, invoiceId)
    assert.equal(event.data.invoice.paidVia, 'checkin')
    assert.equal(event.data.paymentNumber, 1)
    const invoice = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.deepEqual(event.data.invoice, invoice.body.data)

    const deliveries = await callApi(app, 'GET', `/webhooks/${endpoint.id}/deliveries`, { token })
    assert.equal(deliveries.body.data[0].status, 'delivered')
  })

  test('a receiver answering 500 three times then 200 gets the event once more; the deliveries list shows the attempts', async ({
    assert,
  }) => {
    const { app } = scene
    const failing = await WebhookReceiver.start([500, 500, 500, 200])
    try {
      const token = await registerVerifiedOn(app, scene.inbox, 'noor@example.test')
      const subscribed = await callApi(app, 'POST', '/webhooks', {
        token,
        body: { url: failing.url(), events: ['invoice.cancelled'] },
      })
      const created = await postInvoiceOn(app, token, { number: 'F-2026-301', amountCents: 1_000 })
      await callApi(app, 'POST', `/invoices/${created.body.data.id}/cancel`, { token })

      const requests = await failing.waitForRequests(4)
      await holdsFor('no fifth request', () => failing.requests.length === 4, { forMs: 1_000 })
      assert.lengthOf(new Set(requests.map((request) => request.headers['webhook-id'])), 1)
      requests.forEach((request) => verifiedWebhook(subscribed.body.data.secret, request))

      const list = await callApi(app, 'GET', `/webhooks/${subscribed.body.data.id}/deliveries`, {
        token,
      })
      const [delivery] = list.body.data
      assert.equal(list.body.meta.total, 1)
      assert.equal(delivery.eventType, 'invoice.cancelled')
      assert.equal(delivery.status, 'delivered')
      assert.equal(delivery.attempts, 4)
      assert.equal(delivery.lastStatusCode, 200)
      assert.deepEqual(
        delivery.attemptLog.map((attempt: { statusCode: number }) => attempt.statusCode),
        [500, 500, 500, 200]
      )
    } finally {
      await failing.close()
    }
  })
})

test.group('Webhooks end to end: Redis loses the job', (group) => {
  const scene = processSceneForEach(group)

  test('Redis flushed between the click and the delivery: the worker rebuilds it, delivered once', async ({
    assert,
  }) => {
    const receiver = await WebhookReceiver.start()
    // The web alone first: nothing consumes the webhook job before Redis loses it
    const { web, baseUrl } = await startWeb({ ...scene.smtpEnv, ...FAST_RETRIES })
    scene.track(web)
    try {
      // Its emails link to this web process
      const linked = { ...FAST_RETRIES, APP_URL: baseUrl }
      const worker = await scene.startWorker(linked, { concurrency: 2 })
      const { checkinToken, endpoint, token } = await paidLinkWithReceiver(scene, receiver, {
        baseUrl,
      } as typeof scene.app)
      await worker.stop()

      assert.equal(await click({ baseUrl }, checkinToken), 302)
      await waitFor('the delivery row', async () => {
        const [{ count }] = await db.from('webhook_deliveries').count('* as count')
        return Number(count) === 1
      })
      await dropQueueKeys()

      await scene.startWorker({
        ...linked,
        QUEUE_RECONCILE_GRACE_SECONDS: '0',
        QUEUE_RECONCILE_INTERVAL_MS: '300',
      })
      const [request] = await receiver.waitForRequests(1)
      // Reconciling every 300 ms must not send it again
      await holdsFor('one request only', () => receiver.requests.length === 1, { forMs: 2_000 })
      assert.equal(verifiedWebhook(endpoint.secret, request).type, 'invoice.paid')
      const list = await callApi({ baseUrl }, 'GET', `/webhooks/${endpoint.id}/deliveries`, {
        token,
      })
      assert.equal(list.body.data[0].attempts, 1)
    } finally {
      await receiver.close()
    }
  })
})

test.group('Webhooks end to end: production mode', (group) => {
  const scene = processSceneForEach(group)

  test('private, loopback and metadata URLs are refused at save, and at delivery before any connection', async ({
    assert,
  }) => {
    const receiver = await WebhookReceiver.start()
    const production = { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'warn' }
    const { web, baseUrl } = await startWeb({ ...scene.smtpEnv, ...production })
    scene.track(web)
    try {
      const worker = scene.track(
        new AppProcess('worker', { ...scene.smtpEnv, ...production, APP_URL: baseUrl })
      )
      await worker.waitForOutput('worker consuming')
      const app = { baseUrl }
      const token = await registerVerifiedOn(app, scene.inbox, 'prod@example.test')
      for (const url of [
        receiver.url('127.0.0.1', 'https'),
        'https://10.0.0.1/hooks',
        'https://169.254.169.254/latest/meta-data/',
        receiver.url('[::1]', 'https'),
        receiver.url('localhost', 'https'),
        receiver.url('127.0.0.1', 'http'),
      ]) {
        const refused = await callApi(app, 'POST', '/webhooks', {
          token,
          body: { url, events: ['invoice.cancelled'] },
        })
        assert.equal(refused.status, 422, url)
        assert.equal(refused.body.errors[0].field, 'url')
      }

      // An endpoint saved before (or whose name resolved elsewhere then): refused at delivery
      const [{ id: userId }] = await db.from('users').where('email', 'prod@example.test')
      const { createWebhookEndpoint } = await import('#services/webhooks/webhook_endpoints')
      const endpoint = await db.transaction((trx) =>
        createWebhookEndpoint(
          userId,
          { url: receiver.url('localhost', 'https'), events: ['invoice.cancelled'] },
          trx
        )
      )
      const created = await postInvoiceOn(app, token, { number: 'F-PROD-1', amountCents: 5_000 })
      await callApi(app, 'POST', `/invoices/${created.body.data.id}/cancel`, { token })

      const delivery = await waitFor('the attempt to be recorded', async () => {
        const [row] = await db.from('webhook_deliveries').where('endpoint_id', endpoint.id)
        return row?.attempts >= 1 && row
      })
      assert.match(delivery.last_error, /^refused: localhost resolves to .* not a public address$/)
      assert.equal(receiver.connections, 0)
    } finally {
      await receiver.close()
    }
  })
})
