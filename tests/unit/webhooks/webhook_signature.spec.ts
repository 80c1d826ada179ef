import { test } from '@japa/runner'
import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { signedHeaders } from '#services/webhooks/webhook_delivery'

test.group('Webhook signatures (Standard Webhooks)', () => {
  test('the spec’s published test vector signs as published', ({ assert }) => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const at = new Date(1614265330 * 1000)
    const headers = signedHeaders(
      secret,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      at,
      '{"test": 2432232314}'
    )

    assert.deepEqual(headers, {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
  })

  test('the signature is HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the decoded secret', ({
    assert,
  }) => {
    const key = Buffer.from('relance webhook signing key, 32 bytes')
    const secret = `whsec_${key.toString('base64')}`
    const body = JSON.stringify({
      type: 'invoice.paid',
      timestamp: '2026-12-03T08:00:00.000Z',
      data: {},
    })
    const at = new Date()
    const headers = signedHeaders(secret, 'msg_1', at, body)

    const expected = createHmac('sha256', key)
      .update(`msg_1.${headers['webhook-timestamp']}.${body}`)
      .digest('base64')
    assert.equal(headers['webhook-signature'], `v1,${expected}`)
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body))
    assert.throws(() => new Webhook(secret).verify(`${body} `, headers))
  })
})
