import { test } from '@japa/runner'
import env from '#start/env'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import { resetState } from '#tests/helpers/state'

test.group('Check-in rate limit', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('a client IP past the per-minute limit gets 429 with Retry-After, others still answer', async ({
    client,
    assert,
  }) => {
    const limit = env.get('RATE_LIMIT_CHECKIN_PER_MINUTE')
    const guesser = '198.51.100.7'
    const click = (ip: string) =>
      client
        .get(`/api/v1/checkin/${generateCheckinToken().plain}/paid`)
        .header('X-Forwarded-For', ip)
        .redirects(0)

    for (let sent = 0; sent < limit; sent += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, limit - sent) }, () => click(guesser))
      )
      assert.isTrue(batch.every((response) => response.status() === 302))
    }
    const limited = await click(guesser)
    const bystander = await click('203.0.113.9')

    limited.assertStatus(429)
    assert.isAbove(Number(limited.header('retry-after')), 0)
    assert.deepEqual(Object.keys(limited.body()), ['errors'])
    bystander.assertStatus(302)
  })
})
