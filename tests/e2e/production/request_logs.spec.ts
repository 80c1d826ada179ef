import { test } from '@japa/runner'
import { gzipSync } from 'node:zlib'
import { startWeb } from '#tests/helpers/app_processes'
import { resetRateLimits } from '#tests/helpers/state'
import { waitFor } from '#tests/helpers/wait_for'

/** A distinct secret per place it is sent, to look for in the logs. */
const secret = (label: string) => `${label}${'S'.repeat(43 - label.length)}`

test.group('Request logs', (group) => {
  group.each.setup(() => resetRateLimits())

  test('no link token and no query string reaches the log; unreadable bodies are warnings, not errors', async ({
    assert,
  }) => {
    const { web, baseUrl } = await startWeb({ LOG_LEVEL: 'info', NODE_ENV: 'production' })
    try {
      const secrets = {
        verifyPage: secret('verifypage'),
        verifyButton: secret('verifybutton'),
        checkin: secret('checkin'),
        clientPage: secret('clientpage'),
        inbound: secret('inbound'),
        query: secret('query'),
      }
      const requests: [string, string, RequestInit?][] = [
        ['GET', `/api/v1/auth/verify-email/${secrets.verifyPage}`],
        ['POST', `/api/v1/auth/verify-email/${secrets.verifyButton}`],
        ['GET', `/api/v1/checkin/${secrets.checkin}/paid`],
        ['GET', `/client/${secrets.clientPage}`],
        ['POST', `/api/v1/inbound/messages?recipient=reply+${secrets.inbound}@inbound.localhost`],
        ['GET', `/api/v1/me?access_token=${secrets.query}`],
      ]
      for (const [method, path] of requests) {
        await fetch(`${baseUrl}${path}`, { method, redirect: 'manual' })
      }
      const deep = await fetch(`${baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"email":${'['.repeat(3_000)}${']'.repeat(3_000)}}`,
      })
      const gzip = await fetch(`${baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync('{"email":"a@b.test"}').subarray(0, 12),
      })

      assert.equal(deep.status, 400)
      assert.deepEqual(await deep.json(), {
        errors: [{ message: 'The request body is nested too deeply' }],
      })
      assert.equal(gzip.status, 400)
      assert.deepEqual(await gzip.json(), {
        errors: [{ message: 'The request body could not be decompressed' }],
      })
      await waitFor('the last request logged', () =>
        web.output.includes('The request body could not be decompressed')
      )
      const lines = web.output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
      for (const [label, value] of Object.entries(secrets)) {
        assert.notInclude(web.output, value, `the ${label} secret is in the log`)
      }
      const urls = lines.filter((line) => line.msg === 'request').map((line) => line.url)
      assert.includeMembers(urls, [
        '/api/v1/auth/verify-email/[token]',
        '/api/v1/checkin/[token]/paid',
        '/client/[token]',
        '/api/v1/inbound/messages',
        '/api/v1/me',
      ])
      // Pino levels: 40 warn, 50 error
      const unreadable = lines.filter((line) => /nested too deeply|decompressed/.test(line.msg))
      assert.deepEqual(
        unreadable.map((line) => [line.level, line.status]),
        [
          [40, 400],
          [40, 400],
        ]
      )
      assert.isFalse(
        lines.some((line) => line.level >= 50),
        lines
          .filter((line) => line.level >= 50)
          .map((line) => line.msg)
          .join('; ')
      )
    } finally {
      await web.stop()
    }
  })
})
