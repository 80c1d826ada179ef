import { test } from '@japa/runner'
import { startWeb } from '#tests/helpers/app_processes'
import { resetRateLimits } from '#tests/helpers/state'

const LIMIT = 3

/** A failed login from this test (a loopback peer) claiming to forward `forwardedFor`. */
async function loginAs(baseUrl: string, forwardedFor: string) {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email: 'nobody@example.test', password: 'not-the-password' }),
  })
  return response.status
}

/** The statuses of LIMIT + 1 logins, each claiming the address `forwardedFor(n)`. */
async function burst(baseUrl: string, forwardedFor: (n: number) => string) {
  const statuses: number[] = []
  for (let n = 1; n <= LIMIT + 1; n++) statuses.push(await loginAs(baseUrl, forwardedFor(n)))
  return statuses
}

test.group(
  'Trusted proxies: the rate-limit key is the client IP only proxies may vouch for',
  (group) => {
    group.each.setup(() => resetRateLimits())

    test('TRUSTED_PROXIES=false: a spoofed X-Forwarded-For does not change the limiter key', async ({
      assert,
    }) => {
      const { web, baseUrl } = await startWeb({
        TRUSTED_PROXIES: 'false',
        RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT),
      })
      try {
        const statuses = await burst(baseUrl, (n) => `203.0.113.${n}`)
        assert.deepEqual(statuses, [401, 401, 401, 429])
      } finally {
        await web.stop()
      }
    })

    test('TRUSTED_PROXIES=10.0.0.0/8: a loopback peer is no trusted proxy either', async ({
      assert,
    }) => {
      const { web, baseUrl } = await startWeb({
        TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1',
        RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT),
      })
      try {
        assert.deepEqual(await burst(baseUrl, (n) => `203.0.113.${n}`), [401, 401, 401, 429])
      } finally {
        await web.stop()
      }
    })

    test('the default (loopback): the address a local proxy forwards is the key', async ({
      assert,
    }) => {
      const { web, baseUrl } = await startWeb({ RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) })
      try {
        // Each forwarded client has a budget of its own
        assert.deepEqual(await burst(baseUrl, (n) => `203.0.113.${n}`), [401, 401, 401, 401])
        // and one client stays one client, whatever the proxy
        assert.deepEqual(await burst(baseUrl, () => '198.51.100.7'), [401, 401, 401, 429])
      } finally {
        await web.stop()
      }
    })
  }
)
