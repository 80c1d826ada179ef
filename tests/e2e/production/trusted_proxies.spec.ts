import { test } from '@japa/runner'
import { startWeb } from '#tests/helpers/app_processes'
import { resetState } from '#tests/helpers/state'
import { UserFactory } from '#database/factories/user_factory'

const LIMIT = 3

/** A login from this test (a loopback peer) claiming to forward `forwardedFor`; failed unless `credentials` say otherwise. */
async function loginAs(
  baseUrl: string,
  forwardedFor: string,
  credentials = { email: 'nobody@example.test', password: 'not-the-password' }
) {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify(credentials),
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
    group.each.setup(async () => {
      await resetState({ rateLimits: true })
    })

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

    test('forwarded values that are no address are ignored: they never make a budget of their own', async ({
      assert,
    }) => {
      const { web, baseUrl } = await startWeb({ RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) })
      try {
        const notAddresses = ['garbage', '300.1.1.1', 'x'.repeat(5_000), '203.0.113.1:8080']
        // Each is ignored: the client is the loopback proxy itself, one budget for all
        assert.deepEqual(await burst(baseUrl, (n) => notAddresses[n - 1]), [401, 401, 401, 429])
      } finally {
        await web.stop()
      }
    })

    test('failed logins lock one address out of one account: it waits even with the right password, the owner signs in from elsewhere', async ({
      assert,
    }) => {
      const user = await UserFactory.merge({ password: 'the-right-password' }).create()
      const { web, baseUrl } = await startWeb({
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: String(LIMIT),
      })
      try {
        const wrong = { email: user.email, password: 'a-wrong-password' }
        const right = { email: user.email, password: 'the-right-password' }
        const statuses = []
        for (let n = 1; n <= LIMIT; n++) statuses.push(await loginAs(baseUrl, '203.0.113.1', wrong))
        statuses.push(await loginAs(baseUrl, '203.0.113.1', right))
        assert.deepEqual(statuses, [401, 401, 401, 429])
        // The guessing address may still try other accounts, under the per-IP limit
        assert.equal(await loginAs(baseUrl, '203.0.113.1'), 401)
        assert.equal(await loginAs(baseUrl, '198.51.100.9', right), 200)
      } finally {
        await web.stop()
      }
    })

    test('failed logins of one account from many addresses lock it for new addresses only: where it signed in or registered, the owner still signs in', async ({
      assert,
    }) => {
      const accountLimit = 5
      const { web, baseUrl } = await startWeb({
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: String(LIMIT),
        RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: String(accountLimit),
      })
      try {
        const right = { email: 'owner@example.test', password: 'the-right-password' }
        const registered = await fetch(`${baseUrl}/api/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1' },
          body: JSON.stringify({ ...right, fullName: 'Owner' }),
        })
        assert.equal(registered.status, 201)
        assert.equal(await loginAs(baseUrl, '198.51.100.2', right), 200)

        // One failure from each of many addresses: no address reaches its own limit
        const wrong = { ...right, password: 'a-wrong-password' }
        const statuses = []
        for (let n = 1; n <= accountLimit; n++)
          statuses.push(await loginAs(baseUrl, `203.0.113.${n}`, wrong))
        assert.deepEqual(statuses, Array(accountLimit).fill(401))

        assert.equal(await loginAs(baseUrl, '192.0.2.7', right), 429)
        assert.equal(await loginAs(baseUrl, '203.0.113.99', wrong), 429)
        assert.equal(await loginAs(baseUrl, '198.51.100.1', right), 200)
        assert.equal(await loginAs(baseUrl, '198.51.100.2', right), 200)
        // Another account is not locked
        assert.equal(await loginAs(baseUrl, '192.0.2.7'), 401)
      } finally {
        await web.stop()
      }
    })
  }
)
