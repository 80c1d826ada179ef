import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import WebhookEndpoint from '#models/webhook_endpoint'
import { UserFactory } from '#database/factories/user_factory'
import { assertErrorBody, assertFieldErrors } from '#tests/helpers/api_assertions'
import { countRows } from '#tests/helpers/rows'
import { resetState } from '#tests/helpers/state'
import { underProductionRules } from '#tests/helpers/webhook_targets'

const HOOK = 'https://hooks.relance.test/incoming'

test.group('Webhook endpoints', (group) => {
  group.each.setup(() => resetState())

  test('POST /webhooks answers 201 with the signing secret, shown once, stored encrypted', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const response = await client
      .post('/api/v1/webhooks')
      .loginAs(user)
      .json({ url: HOOK, events: ['invoice.paid', 'relance.failed', 'invoice.paid'] })

    response.assertStatus(201)
    const created = response.body().data
    assert.equal(created.url, HOOK)
    assert.deepEqual(created.events, ['invoice.paid', 'relance.failed'])
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.lengthOf(Buffer.from(created.secret.slice(6), 'base64'), 32)
    assert.isNull(created.disabledAt)

    const [row] = await db.from('webhook_endpoints').where('id', created.id)
    assert.notInclude(row.secret, created.secret.slice(6), 'the database holds no plain secret')
    const endpoint = await WebhookEndpoint.findOrFail(created.id)
    assert.equal(endpoint.signingSecret, created.secret)

    const list = await client.get('/api/v1/webhooks').loginAs(user)
    list.assertStatus(200)
    assert.lengthOf(list.body().data, 1)
    assert.notProperty(list.body().data[0], 'secret')
    assert.notInclude(JSON.stringify(list.body()), created.secret)
  })

  test('a URL or events that cannot work answer 422 naming the field, and save nothing', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const cases: [Record<string, unknown>, string][] = [
      [{ events: ['invoice.paid'] }, 'url'],
      [{ url: 'not a url', events: ['invoice.paid'] }, 'url'],
      [{ url: 'ftp://hooks.relance.test/', events: ['invoice.paid'] }, 'url'],
      [{ url: 'https://user:secret@hooks.relance.test/', events: ['invoice.paid'] }, 'url'],
      [{ url: `https://hooks.relance.test/${'a'.repeat(2048)}`, events: ['invoice.paid'] }, 'url'],
      [{ url: HOOK, events: [] }, 'events'],
      [{ url: HOOK, events: ['invoice.deleted'] }, 'events.0'],
      [{ url: HOOK }, 'events'],
    ]
    for (const [body, field] of cases) {
      const response = await client.post('/api/v1/webhooks').loginAs(user).json(body)
      assertFieldErrors(assert, response, [{ field }])
    }
    assert.equal(await countRows('webhook_endpoints'), 0)
  })

  test('an account has at most 10 endpoints: the eleventh answers 409', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    for (let n = 1; n <= 10; n++) {
      const response = await client
        .post('/api/v1/webhooks')
        .loginAs(user)
        .json({ url: `${HOOK}/${n}`, events: ['invoice.paid'] })
      response.assertStatus(201)
    }
    const eleventh = await client
      .post('/api/v1/webhooks')
      .loginAs(user)
      .json({ url: `${HOOK}/11`, events: ['invoice.paid'] })
    assertErrorBody(assert, eleventh, 409)
    assert.equal(await countRows('webhook_endpoints'), 10)
  })

  test('DELETE removes an endpoint with its deliveries; another user’s endpoint is a 404', async ({
    client,
    assert,
  }) => {
    const [owner, stranger] = await UserFactory.createMany(2)
    const created = await client
      .post('/api/v1/webhooks')
      .loginAs(owner)
      .json({ url: HOOK, events: ['invoice.paid'] })
    const id = created.body().data.id

    assertErrorBody(assert, await client.delete(`/api/v1/webhooks/${id}`).loginAs(stranger), 404)
    assertErrorBody(
      assert,
      await client.get(`/api/v1/webhooks/${id}/deliveries`).loginAs(stranger),
      404
    )
    const deliveries = await client.get(`/api/v1/webhooks/${id}/deliveries`).loginAs(owner)
    deliveries.assertStatus(200)
    assert.deepEqual(deliveries.body().data, [])

    const deleted = await client.delete(`/api/v1/webhooks/${id}`).loginAs(owner)
    deleted.assertStatus(204)
    assert.equal(await countRows('webhook_endpoints'), 0)
    assertErrorBody(assert, await client.delete(`/api/v1/webhooks/${id}`).loginAs(owner), 404)
  })

  test('in production mode a URL to a private, loopback or metadata address, or plain http, answers 422', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const refused = [
      'http://hooks.relance.test/incoming',
      'https://127.0.0.1/hooks',
      'https://127.1.2.3:8443/hooks',
      'https://10.0.0.1/hooks',
      'https://10.20.30.40/hooks',
      'https://172.16.5.4/hooks',
      'https://192.168.1.10/hooks',
      'https://169.254.169.254/latest/meta-data/',
      'https://100.64.0.1/hooks',
      'https://0.0.0.0/hooks',
      'https://[::1]/hooks',
      'https://[::ffff:127.0.0.1]/hooks',
      'https://[fd00::1]/hooks',
      'https://[fe80::1]/hooks',
      // Other spellings of 127.0.0.1, which the URL parser normalizes
      'https://2130706433/hooks',
      'https://0x7f.1/hooks',
      // A name that resolves to loopback
      'https://localhost/hooks',
      // A name that does not resolve at all
      'https://nowhere.invalid/hooks',
    ]
    await underProductionRules(async () => {
      for (const url of refused) {
        const response = await client
          .post('/api/v1/webhooks')
          .loginAs(user)
          .json({ url, events: ['invoice.paid'] })
        assertFieldErrors(assert, response, [{ field: 'url', rule: 'webhookTarget' }])
        assert.match(
          response.body().errors[0].message,
          /https|public address|does not resolve/,
          url
        )
      }
    })
    assert.equal(await countRows('webhook_endpoints'), 0)
  })
})
