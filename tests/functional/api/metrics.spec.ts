import { test } from '@japa/runner'
import env from '#start/env'
import { inboundMessages } from '#metrics/metrics'
import { serveMetrics } from '#metrics/metrics_server'
import { freePort } from '#tests/helpers/app_processes'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { parseScrape, sampleValue } from '#tests/helpers/prometheus'
import { invoiceWithSentCheckin } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'

const TOKEN = 'metrics-token-for-the-tests'

const statusOf = (url: string, init?: RequestInit) =>
  fetch(url, init).then((response) => response.status)

/** Runs `work` with METRICS_TOKEN set to `token` (unset with undefined). */
async function withMetricsToken<T>(token: string | undefined, work: () => Promise<T>) {
  // Empty, not undefined: env.get falls back to process.env for an undefined value
  const previous = env.get('METRICS_TOKEN') ?? ''
  env.set('METRICS_TOKEN', token ?? '')
  try {
    return await work()
  } finally {
    env.set('METRICS_TOKEN', previous)
  }
}

test.group('Metrics of the web process', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('GET /metrics is a 404 while METRICS_TOKEN is unset', async ({ client, assert }) => {
    await withMetricsToken(undefined, async () => {
      const response = await client.get('/api/v1/metrics').header('authorization', 'Bearer x')
      assertErrorBody(assert, response, 404)
    })
  })

  test('GET /metrics needs the bearer METRICS_TOKEN', async ({ client, assert }) => {
    await withMetricsToken(TOKEN, async () => {
      for (const authorization of [
        undefined,
        'Bearer wrong',
        `Bearer ${TOKEN}x`,
        TOKEN,
        `Basic ${TOKEN}`,
      ]) {
        const request = client.get('/api/v1/metrics')
        if (authorization) request.header('authorization', authorization)
        const response = await request
        assertErrorBody(assert, response, 401)
        assert.equal(response.header('www-authenticate'), 'Bearer')
      }
    })
  })

  test('a scrape parses, times requests by route pattern and status, never by a path holding a token', async ({
    client,
    assert,
  }) => {
    const { token } = await invoiceWithSentCheckin()
    await withMetricsToken(TOKEN, async () => {
      const scrape = () => client.get('/api/v1/metrics').header('authorization', `Bearer ${TOKEN}`)
      const before = parseScrape(await scrape().then((response) => response.text()))
      const route = { method: 'GET', route: '/api/v1/checkin/:token/paid', status: '302' }
      const clicksBefore = sampleValue(before, 'relance_http_request_duration_seconds_count', route)

      await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)
      await client.get('/api/v1/no/such/route')

      const response = await scrape()
      response.assertStatus(200)
      assert.match(response.header('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      const after = parseScrape(response.text())
      assert.equal(
        sampleValue(after, 'relance_http_request_duration_seconds_count', route),
        clicksBefore + 1
      )
      assert.isAbove(
        sampleValue(after, 'relance_http_request_duration_seconds_count', {
          route: 'unmatched',
          status: '404',
        }),
        0
      )
      assert.notInclude(response.text(), token)
      assert.notInclude(response.text(), '/no/such/route')
      // Node's own, under their usual names
      for (const name of [
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]) {
        assert.isTrue(
          after.families.some((family) => family.name === name),
          name
        )
      }
    })
  })
})

test.group('Metrics on a port of their own (worker, inbound receiver)', () => {
  test('serveMetrics serves this process’s registry, asks for METRICS_TOKEN when set, and moves with it', async ({
    assert,
  }) => {
    const port = await freePort()
    const server = await serveMetrics({ port, host: '127.0.0.1', name: 'test' })
    const url = `http://127.0.0.1:${port}/metrics`
    try {
      const first = parseScrape(await fetch(url).then((response) => response.text()))
      const bounces = sampleValue(first, 'relance_inbound_messages_total', { kind: 'bounce' })

      inboundMessages.inc({ kind: 'bounce' })
      const second = parseScrape(await fetch(url).then((response) => response.text()))
      assert.equal(
        sampleValue(second, 'relance_inbound_messages_total', { kind: 'bounce' }),
        bounces + 1
      )
      assert.equal(await statusOf(`http://127.0.0.1:${port}/other`), 404)
      assert.equal(await statusOf(url, { method: 'POST' }), 404)

      await withMetricsToken(TOKEN, async () => {
        assert.equal(await statusOf(url), 401)
        const allowed = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
        assert.equal(allowed.status, 200)
        parseScrape(await allowed.text())
      })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
