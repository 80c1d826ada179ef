import { test } from '@japa/runner'
import { Agent, request as httpRequest } from 'node:http'
import User from '#models/user'
import { routeOperations } from '#openapi/document'
import { UserFactory } from '#database/factories/user_factory'
import { startWeb } from '#tests/helpers/app_processes'
import { invoicePayload } from '#tests/helpers/invoice_requests'
import { resetRateLimits, resetState } from '#tests/helpers/state'

/*
| No request stalls the web: while the worst request of each route runs
| (bodies at their limits), GET /health, asked again and again on a
| connection of its own, keeps answering. The machine is shared: a slow
| answer is put down to the request only when it happens on every one of
| five runs.
*/

type Answer = { status: number; bytes: number; ms: number; text: string }

/** One request with node:http: bytes as given, the answer's size and time. */
function send(
  baseUrl: string,
  method: string,
  path: string,
  { headers = {}, body, agent }: { headers?: Record<string, string>; body?: Buffer; agent?: Agent }
): Promise<Answer> {
  const startedAt = performance.now()
  return new Promise((resolve, reject) => {
    let answered = false
    const outgoing = httpRequest(
      `${baseUrl}${path}`,
      {
        method,
        agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (response) => {
        answered = true
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const ms = performance.now() - startedAt
          const text = Buffer.concat(chunks).toString()
          resolve({ status: response.statusCode!, bytes: Buffer.byteLength(text), ms, text })
        })
      }
    )
    // A server that refuses a large body early may close before it is all sent
    outgoing.on('error', (error) => (answered ? undefined : reject(error)))
    outgoing.end(body)
  })
}

/**
 * Runs `work` while `probes` are asked one after another, each on a
 * keep-alive connection of its own; answers the work's answer and the
 * slowest probe answer.
 */
async function slowestProbeWhile<T>(
  baseUrl: string,
  work: () => Promise<T>,
  probes: { path: string; headers?: Record<string, string> }[] = [{ path: '/api/v1/health' }]
) {
  let running = true
  let slowest = 0
  const loops = probes.map(async ({ path, headers }) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    await send(baseUrl, 'GET', path, { headers, agent }) // the connection, opened beforehand
    while (running) {
      const probe = await send(baseUrl, 'GET', path, { headers, agent })
      if (probe.status !== 200) throw new Error(`${path} answered ${probe.status}`)
      slowest = Math.max(slowest, probe.ms)
    }
    agent.destroy()
  })
  try {
    return { answer: await work(), slowest }
  } finally {
    running = false
    await Promise.all(loops)
  }
}

/**
 * The slowest /health answer while `run` runs stays under `limitMs` on at
 * least one of five runs. `prepare` makes what each run needs.
 */
async function slowestOfBestRun<P>(
  baseUrl: string,
  prepare: () => Promise<P>,
  run: (prepared: P) => Promise<Answer>,
  limitMs = 100
) {
  const runs: { answer: Answer; slowest: number }[] = []
  for (let attempt = 0; attempt < 5; attempt++) {
    const prepared = await prepare()
    const measured = await slowestProbeWhile(baseUrl, () => run(prepared))
    runs.push(measured)
    if (measured.slowest < limitMs) break
  }
  return runs.reduce((best, measured) => (measured.slowest < best.slowest ? measured : best))
}

const json = (token: string) => ({
  'content-type': 'application/json',
  'authorization': `Bearer ${token}`,
})

/** `count` valid import rows, each number its own. */
function importRows(count: number, prefix: string) {
  return Array.from({ length: count }, (_, index) =>
    invoicePayload({
      number: `${prefix}-${index}`,
      clientName: `Client ${index % 300}`,
      clientEmail: `client-${index % 300}@example.test`,
    })
  )
}

/** A verified user with a bearer token. */
async function signedInUser() {
  const user = await UserFactory.create()
  const accessToken = await User.accessTokens.create(user)
  const token = accessToken.value!.release()
  return { user, token }
}

/** Every field name any route reads, each with a string of `size` characters. */
function everyFieldAtLength(size: number) {
  const fields = [
    'fullName',
    'email',
    'password',
    'timezone',
    'locale',
    'paymentInstructions',
    'number',
    'clientName',
    'clientEmail',
    'currency',
    'issuedAt',
    'dueDate',
    'name',
    'subject',
    'body',
    'remindersPausedUntil',
  ]
  return Object.fromEntries(fields.map((field) => [field, 'é'.repeat(size)]))
}

const BODY_LIMIT = 2 * 1024 * 1024

test.group('No request stalls the web', (group) => {
  let web: Awaited<ReturnType<typeof startWeb>> | undefined
  group.each.setup(async () => {
    await resetState({ rateLimits: true })
    return async () => {
      await web?.web.stop()
      web = undefined
    }
  })

  test('a list of a million items is refused in well under a second with a short 413', async ({
    assert,
  }) => {
    web = await startWeb()
    const { token } = await signedInUser()
    const zeros = Buffer.from(`{"rows":[${Array.from({ length: 1_000_000 }, () => 0).join(',')}]}`)
    assert.isBelow(zeros.length, BODY_LIMIT)

    const { answer, slowest } = await slowestOfBestRun(
      web.baseUrl,
      async () => undefined,
      () =>
        send(web!.baseUrl, 'POST', '/api/v1/import-batches', { headers: json(token), body: zeros })
    )

    assert.equal(answer.status, 413)
    assert.isBelow(answer.bytes, 300)
    assert.isBelow(answer.ms, 1_000)
    assert.isBelow(slowest, 100, `/health took ${slowest} ms`)
  })

  test('the worst body of every route, at the size limit, never holds /health 100 ms', async ({
    assert,
  }) => {
    web = await startWeb({
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      RATE_LIMIT_CHECKIN_PER_MINUTE: '100000',
    })
    const { token } = await signedInUser()
    const baseUrl = web.baseUrl
    // The resources the routes' parameters name
    const invoice = await send(baseUrl, 'POST', '/api/v1/invoices', {
      headers: json(token),
      body: Buffer.from(JSON.stringify(invoicePayload({ number: 'STALL-1' }))),
    })
    assert.equal(invoice.status, 201)
    const ids = { id: '1', token: 'A'.repeat(43), sequence: '1' }

    const bodies: [string, Buffer][] = [
      ['a list of a million zeros', Buffer.from(`{"list":[${'0,'.repeat(999_999)}0]}`)],
      [
        'lists nested half a million deep',
        Buffer.from(`{"list":${'['.repeat(BODY_LIMIT / 4)}${']'.repeat(BODY_LIMIT / 4)}}`),
      ],
      [
        'every field 60,000 characters long',
        Buffer.from(JSON.stringify(everyFieldAtLength(60_000))),
      ],
    ]
    const longQuery = `?${Array.from({ length: 400 }, (_, n) => `page[${n}]=${'9'.repeat(10)}`).join('&')}`

    const slowest: Record<string, number> = {}
    for (const key of Object.keys(routeOperations)) {
      const [method, pattern] = key.split(' ')
      const path = pattern.replace(
        /:(id|token|sequence)/g,
        (_, name: keyof typeof ids) => ids[name]
      )
      const cases: [string, () => Promise<Answer>][] =
        method === 'GET'
          ? [
              [
                'a long query string',
                () => send(baseUrl, method, `${path}${longQuery}`, { headers: json(token) }),
              ],
            ]
          : bodies.map(([label, body]) => [
              label,
              () => send(baseUrl, method, path, { headers: json(token), body }),
            ])
      for (const [label, run] of cases) {
        const { answer, slowest: ms } = await slowestOfBestRun(baseUrl, async () => undefined, run)
        assert.isBelow(answer.status, 500, `${key} with ${label}`)
        slowest[`${key} with ${label}`] = Math.round(ms)
      }
    }
    const over = Object.entries(slowest).filter(([, ms]) => ms >= 100)
    assert.deepEqual(over, [], JSON.stringify(slowest))
  })

  test('an import of 10,000 rows: its draft, reading it back and validating it never hold /health 100 ms', async ({
    assert,
  }) => {
    web = await startWeb()
    const baseUrl = web.baseUrl
    // Each run has a user of its own: 10,000 pending invoices is an account's cap
    const userWithDraft = async () => {
      const { token } = await signedInUser()
      const rows = Buffer.from(JSON.stringify({ rows: importRows(10_000, 'D') }))
      const draft = await send(baseUrl, 'POST', '/api/v1/import-batches', {
        headers: json(token),
        body: rows,
      })
      assert.equal(draft.status, 201)
      return { token, rows, batchId: JSON.parse(draft.text).data.id as number }
    }

    const created = await slowestOfBestRun(baseUrl, userWithDraft, ({ token, rows }) =>
      send(baseUrl, 'POST', '/api/v1/import-batches', { headers: json(token), body: rows })
    )
    const shown = await slowestOfBestRun(baseUrl, userWithDraft, ({ token, batchId }) =>
      send(baseUrl, 'GET', `/api/v1/import-batches/${batchId}`, { headers: json(token) })
    )
    const validated = await slowestOfBestRun(baseUrl, userWithDraft, ({ token, batchId }) =>
      send(baseUrl, 'POST', `/api/v1/import-batches/${batchId}/validate`, { headers: json(token) })
    )

    assert.deepEqual(
      [created.answer.status, shown.answer.status, validated.answer.status],
      [201, 200, 200]
    )
    const slowest = { draft: created.slowest, show: shown.slowest, validate: validated.slowest }
    assert.deepEqual(
      Object.entries(slowest).filter(([, ms]) => ms >= 100),
      [],
      JSON.stringify(slowest)
    )
  }).timeout(180_000)

  test('/health and /me answer within 300 ms while ten users validate 5,000 rows each', async ({
    assert,
  }) => {
    web = await startWeb()
    const baseUrl = web.baseUrl
    // Ten users with a draft of 5,000 rows each, and one who watches
    const tenDrafts = async () => {
      const importers: { token: string; batchId: number }[] = []
      for (let n = 1; n <= 10; n++) {
        const { token } = await signedInUser()
        const body = Buffer.from(JSON.stringify({ rows: importRows(5_000, `U${n}`) }))
        const draft = await send(baseUrl, 'POST', '/api/v1/import-batches', {
          headers: json(token),
          body,
        })
        assert.equal(draft.status, 201)
        importers.push({ token, batchId: JSON.parse(draft.text).data.id })
      }
      await resetRateLimits()
      return { importers, watcher: await signedInUser() }
    }
    const validateAll = (importers: { token: string; batchId: number }[]) =>
      Promise.all(
        importers.map(({ token, batchId }) =>
          send(baseUrl, 'POST', `/api/v1/import-batches/${batchId}/validate`, {
            headers: json(token),
          })
        )
      )

    // The machine is shared: a second run, on new users, when the first was slow
    let measured
    for (let attempt = 0; attempt < 2; attempt++) {
      const { importers, watcher } = await tenDrafts()
      measured = await slowestProbeWhile(baseUrl, () => validateAll(importers), [
        { path: '/api/v1/health' },
        { path: '/api/v1/me', headers: json(watcher.token) },
      ])
      assert.deepEqual(
        measured.answer.map((answer) => answer.status),
        Array.from({ length: 10 }, () => 200)
      )
      if (measured.slowest < 300) break
    }
    assert.isBelow(
      measured!.slowest,
      300,
      `the slowest /health or /me answer took ${Math.round(measured!.slowest)} ms`
    )
  }).timeout(180_000)
})
