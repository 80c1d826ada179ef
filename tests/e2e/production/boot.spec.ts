import { test } from '@japa/runner'
import { NodeProcess, startWeb, type AppProcess } from '#tests/helpers/app_processes'

/** The messages of the warning lines (pino level 40) a production process logged. */
function warningsOf(web: AppProcess): string[] {
  return web.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.level === 40)
    .map((entry) => entry.msg)
}

test.group('Boot: bad values of the newer keys stop the app, naming the key', () => {
  const cases: Record<string, string>[] = [
    { TRUSTED_PROXIES: '10.0.0.300' },
    { TRUSTED_PROXIES: 'true' },
    { SMTP_SECURE: 'maybe' },
    { SMTP_REQUIRE_TLS: 'sometimes' },
    { CORS_ORIGINS: 'https://app.relance.test,not-an-origin' },
    { CORS_ORIGINS: 'https://app.relance.test/spa' },
    { EMAIL_VERIFICATION: 'maybe' },
    { WEBHOOK_RETRY_DELAYS: '30s,soon' },
    { WORKER_METRICS_PORT: 'ninety' },
    { INBOUND_DOMAIN: 'reply@example.test' },
  ]

  test('{setting} stops the boot')
    .with(
      cases.map((value) => {
        const [[key, raw]] = Object.entries(value)
        return { key, value, setting: `${key}=${raw}` }
      })
    )
    .run(async ({ assert }, { key, value }) => {
      const web = new NodeProcess(['--import=@poppinss/ts-exec', 'bin/server.ts'], {
        NODE_ENV: 'test',
        PORT: '0',
        ...value,
      })
      const code = await web.exited

      assert.notEqual(code, 0, web.output)
      assert.include(web.output, `"${key}"`)
      assert.notInclude(web.output, 'started HTTP server')
    })
})

test.group('Boot: production mode', () => {
  test('one warning line each for http APP_URL, SMTP without TLS, Redis without a password, EMAIL_VERIFICATION=off, WEBHOOK_ALLOW_PRIVATE=true, an inbound receiver without TLS', async ({
    assert,
  }) => {
    const { web, baseUrl } = await startWeb({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      EMAIL_VERIFICATION: 'off',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      INBOUND_DOMAIN: 'reply.relance.test',
    })
    try {
      const health = await fetch(`${baseUrl}/api/v1/health`)
      assert.equal(health.status, 200)
      assert.isNull(health.headers.get('strict-transport-security'))

      const warnings = warningsOf(web)
      for (const expected of [
        /^APP_URL is http/,
        /^SMTP without TLS/,
        /^Redis without a password/,
        /^EMAIL_VERIFICATION=off/,
        /^WEBHOOK_ALLOW_PRIVATE=true is ignored in production/,
        /^The inbound receiver offers no STARTTLS/,
      ]) {
        assert.lengthOf(
          warnings.filter((warning) => expected.test(warning)),
          1,
          `${expected}: ${web.output}`
        )
      }
    } finally {
      await web.stop()
    }
  })

  test('https APP_URL: Strict-Transport-Security, and no warning for what is set right', async ({
    assert,
  }) => {
    const { web, baseUrl } = await startWeb({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      APP_URL: 'https://api.relance.test',
      SMTP_REQUIRE_TLS: 'true',
      EMAIL_VERIFICATION: 'required',
      WEBHOOK_ALLOW_PRIVATE: 'false',
    })
    try {
      const health = await fetch(`${baseUrl}/api/v1/health`)
      assert.equal(
        health.headers.get('strict-transport-security'),
        'max-age=31536000; includeSubDomains'
      )
      assert.deepEqual(warningsOf(web), [
        'Redis without a password: set REDIS_PASSWORD (Redis holds the queued job data)',
      ])
    } finally {
      await web.stop()
    }
  })
})
