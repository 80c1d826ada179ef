import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import { request as httpRequest } from 'node:http'
import { gzipSync } from 'node:zlib'
import db from '@adonisjs/lucid/services/db'
import router from '@adonisjs/core/services/router'
import env from '#start/env'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { createDraft, readImport } from '#services/imports/import_batches'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { invoicePayload } from '#tests/helpers/invoice_requests'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { multipartFileOfSize } from '#tests/helpers/multipart'
import { sentRelanceEmailOf } from '#tests/helpers/client_page'
import { subscribe } from '#tests/helpers/webhook_receiver'
import { dayFromToday } from '#tests/helpers/calendar'

/*
| A data-driven corpus of hostile input, sent to every route of
| start/routes.ts: malformed JSON, bodies over the limits, wrong types,
| unicode edge cases, SQL-looking strings, path traversal, 10 KB tokens.
| Whatever comes in: never a 500, a refusal is a JSON error body, and the
| database and the queues are as they were.
*/

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What a route is sent: ids of the fixtures below fill its parameters. */
type Route = {
  method: Method
  pattern: string
  /** Needs the bearer token. */
  auth: boolean
  /** The body fields it reads, each with a valid value. */
  fields?: Record<string, unknown>
  /** The query parameters it reads. */
  query?: string[]
  /** Without any of its fields it still acts: a body it ignores is a valid call. */
  actsWithoutFields?: boolean
}

type Fixtures = {
  owner: User
  token: string
  /** The link token of the client's page of the owner's invoice. */
  pageToken: string
  invoiceId: number
  clientId: number
  batchId: number
  webhookId: number
}

let fixtures: Fixtures

/** Every route of the API, as start/routes.ts declares it. */
function routes(): Route[] {
  const { owner } = fixtures
  return [
    { method: 'GET', pattern: '/api/v1/health', auth: false },
    { method: 'GET', pattern: '/api/v1/openapi.json', auth: false },
    {
      method: 'POST',
      pattern: '/api/v1/auth/register',
      auth: false,
      fields: { fullName: 'Ada', email: 'new@example.test', password: 'correct horse battery' },
    },
    {
      method: 'POST',
      pattern: '/api/v1/auth/login',
      auth: false,
      // A wrong password: even a value slipping through could not sign in
      fields: { email: owner.email, password: 'not-the-password' },
    },
    { method: 'GET', pattern: '/api/v1/checkin/:token/paid', auth: false },
    { method: 'GET', pattern: '/api/v1/checkin/:token/pending', auth: false },
    { method: 'POST', pattern: '/api/v1/checkin/:token/paid', auth: false },
    { method: 'POST', pattern: '/api/v1/checkin/:token/pending', auth: false },
    { method: 'GET', pattern: '/api/v1/auth/verify-email/:token', auth: false },
    { method: 'POST', pattern: '/api/v1/auth/verify-email/:token', auth: false },
    { method: 'POST', pattern: '/api/v1/auth/verify-email/resend', auth: true },
    {
      method: 'POST',
      pattern: '/api/v1/auth/logout',
      auth: true,
      // `all: false`: even a value slipping through revokes only the corpus's own token
      fields: { all: false },
      // Logout revokes the token whatever the body, unless `all` is malformed
      actsWithoutFields: true,
    },
    { method: 'GET', pattern: '/api/v1/me', auth: true },
    {
      method: 'PATCH',
      pattern: '/api/v1/me',
      auth: true,
      fields: {
        fullName: owner.fullName,
        timezone: owner.timezone,
        locale: owner.locale,
        relanceOffsets: owner.relanceOffsets,
        paymentInstructions: owner.paymentInstructions,
        latePenaltyRate: owner.latePenaltyRate,
        thankClientsOnPayment: owner.thankClientsOnPayment,
        iban: owner.iban,
        bic: owner.bic,
        accountHolder: owner.accountHolder,
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/invoices',
      auth: true,
      query: ['status', 'page', 'perPage'],
    },
    {
      method: 'POST',
      pattern: '/api/v1/invoices',
      auth: true,
      fields: invoicePayload({ currency: 'EUR', issuedAt: '2026-01-15' }),
    },
    { method: 'GET', pattern: '/api/v1/invoices/:id', auth: true },
    {
      method: 'PATCH',
      pattern: '/api/v1/invoices/:id',
      auth: true,
      // A number already taken: even a value slipping through could not write
      fields: {
        number: 'TAKEN',
        amountCents: 1,
        currency: 'EUR',
        issuedAt: '2026-01-15',
        // Within the 10 years back and 5 ahead a due date may lie, on any day the tests run
        dueDate: dayFromToday(30).toISODate()!,
      },
    },
    { method: 'POST', pattern: '/api/v1/invoices/:id/mark-paid', auth: true },
    { method: 'POST', pattern: '/api/v1/invoices/:id/cancel', auth: true },
    { method: 'POST', pattern: '/api/v1/invoices/:id/reopen', auth: true },
    {
      method: 'POST',
      pattern: '/api/v1/invoices/:id/hold',
      auth: true,
      // No `until`: a value slipping through would hold until released, which the state digest sees
      fields: { note: 'Waiting for the purchase order' },
      actsWithoutFields: true,
    },
    // The corpus invoice is not held: a release is a 409 whatever the body
    { method: 'POST', pattern: '/api/v1/invoices/:id/release', auth: true },
    // Multipart `file` only: any JSON body lacks it. The corpus invoice has no PDF:
    // GET is a 404, DELETE has nothing to remove
    { method: 'PUT', pattern: '/api/v1/invoices/:id/document', auth: true },
    { method: 'GET', pattern: '/api/v1/invoices/:id/document', auth: true },
    {
      method: 'DELETE',
      pattern: '/api/v1/invoices/:id/document',
      auth: true,
      actsWithoutFields: true,
    },
    {
      method: 'POST',
      pattern: '/api/v1/import-batches',
      auth: true,
      fields: { rows: [invoicePayload()] },
    },
    { method: 'GET', pattern: '/api/v1/import-batches/:id', auth: true },
    { method: 'DELETE', pattern: '/api/v1/import-batches/:id', auth: true },
    { method: 'POST', pattern: '/api/v1/import-batches/:id/validate', auth: true },
    {
      method: 'PATCH',
      pattern: '/api/v1/import-batches/:id/rows/:line',
      auth: true,
      // The row's own number: the row stays as it is
      fields: { data: { number: 'F-DRAFT' } },
    },
    { method: 'GET', pattern: '/api/v1/clients', auth: true, query: ['page', 'perPage'] },
    { method: 'GET', pattern: '/api/v1/clients/:id', auth: true },
    {
      method: 'PATCH',
      pattern: '/api/v1/clients/:id',
      auth: true,
      // The address of another client of the owner: a 409 at worst
      fields: {
        name: 'Acme',
        email: 'other@acme.test',
        locale: 'fr',
        isBusiness: true,
        remindersPausedUntil: '2030-01-01',
        emailStatus: 'ok',
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/relances',
      auth: true,
      query: ['status', 'page', 'perPage'],
    },
    { method: 'GET', pattern: '/api/v1/invoices/:id/relances/:sequence/preview', auth: true },
    { method: 'GET', pattern: '/api/v1/relance-templates', auth: true },
    {
      method: 'PUT',
      pattern: '/api/v1/relance-templates/:sequence',
      auth: true,
      fields: { locale: 'fr', subject: 'Rappel {{invoiceNumber}}', body: 'Bonjour {{clientName}}' },
    },
    { method: 'DELETE', pattern: '/api/v1/relance-templates/:sequence', auth: true },
    { method: 'GET', pattern: '/api/v1/activity', auth: true, query: ['page', 'perPage'] },
    // The client's page: HTML, its token the credential
    { method: 'GET', pattern: '/client/:token', auth: false },
    {
      method: 'POST',
      pattern: '/client/:token/invoices/:id/paid',
      auth: false,
      // Paid on a day within the past year, as the page takes it
      fields: { paidOn: dayFromToday(-10).toISODate()!, note: 'Paid by transfer' },
      // Every field is optional: a body it ignores reports a payment
      actsWithoutFields: true,
    },
    {
      method: 'POST',
      pattern: '/client/:token/invoices/:id/promise',
      auth: false,
      fields: { promisedOn: dayFromToday(10).toISODate()! },
    },
    {
      method: 'POST',
      pattern: '/client/:token/invoices/:id/dispute',
      auth: false,
      fields: { message: 'The amount is wrong' },
    },
    // The corpus invoice has no PDF: the 404 page
    { method: 'GET', pattern: '/client/:token/invoices/:id/document', auth: false },
    // Answers 404 while METRICS_TOKEN is unset, as in the tests
    { method: 'GET', pattern: '/api/v1/metrics', auth: false },
    // Answers 404 while INBOUND_WEBHOOK_SECRET is unset, as in the tests
    { method: 'POST', pattern: '/api/v1/inbound/messages', auth: false },
    {
      method: 'POST',
      pattern: '/api/v1/webhooks',
      auth: true,
      fields: { url: 'https://hooks.relance.test/corpus', events: ['invoice.paid'] },
    },
    { method: 'GET', pattern: '/api/v1/webhooks', auth: true },
    { method: 'DELETE', pattern: '/api/v1/webhooks/:id', auth: true },
    {
      method: 'GET',
      pattern: '/api/v1/webhooks/:id/deliveries',
      auth: true,
      query: ['page', 'perPage'],
    },
    { method: 'GET', pattern: '/api/v1/stats', auth: true },
  ]
}

/** A route's path with its parameters filled: the fixture's ids, `value` in the first. */
function pathOf(route: Route, value?: string) {
  let first = true
  return route.pattern.replace(/:(id|token|sequence|line)/g, (_, name: string) => {
    const isFirst = first
    first = false
    if (value !== undefined && isFirst) return value
    if (name === 'token')
      return route.pattern.startsWith('/client') ? fixtures.pageToken : 'A'.repeat(43)
    if (name === 'sequence' || name === 'line') return '1'
    if (route.pattern.includes('/invoices/')) return String(fixtures.invoiceId)
    if (route.pattern.includes('/clients/')) return String(fixtures.clientId)
    if (route.pattern.includes('/webhooks/')) return String(fixtures.webhookId)
    return String(fixtures.batchId)
  })
}

const readsBody = (route: Route) => route.method !== 'GET'
const hasParameter = (route: Route) => /:(id|token|sequence|line)/.test(route.pattern)

type Answer = { path: string; status: number; contentType: string; text: string; json: any }

/** The client's page answers HTML, refusals included; the API answers JSON. */
const isPage = (answer: Answer) => answer.path.startsWith('/client/')

/** The fields a refusal names: in the JSON errors, or the page's error summary. */
function refusedFields(answer: Answer): string[] {
  if (isPage(answer)) {
    return [...answer.text.matchAll(/href="#invoice-\d+-(\w+)"/g)].map(([, field]) => field)
  }
  return answer.json.errors.map((error: { field?: string }) => error.field ?? '')
}

/**
 * One raw HTTP request to the test server: bytes, path and headers exactly
 * as given (no URL normalization, no encoding). Each comes from an address
 * of its own (X-Forwarded-For is trusted from loopback), so rate limits
 * never answer in place of the route.
 */
let addressCounter = 0
function send(
  method: string,
  path: string,
  {
    token,
    headers = {},
    body,
  }: { token?: string; headers?: Record<string, string>; body?: string | Buffer } = {}
): Promise<Answer> {
  addressCounter++
  const payload = typeof body === 'string' ? Buffer.from(body) : body
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: env.get('HOST'),
        port: env.get('PORT'),
        method,
        path,
        headers: {
          'x-forwarded-for': `198.19.${(addressCounter >> 8) & 255}.${addressCounter & 255}`,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(payload ? { 'content-length': String(payload.length) } : {}),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: any
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({
            path,
            status: response.statusCode!,
            contentType: String(response.headers['content-type'] ?? ''),
            text,
            json,
          })
        })
      }
    )
    // A server that refuses a large body early may close before it is all sent
    request.on('error', reject)
    if (payload) request.write(payload)
    request.end()
  })
}

/**
 * A JSON body of `fields` whose `field` holds `literal`, raw JSON as sent:
 * escapes such as `\ud800` reach the server untouched.
 */
function bodyWith(fields: Record<string, unknown>, field: string, literal: string) {
  return JSON.stringify({ ...fields, [field]: '__VALUE__' }).replace('"__VALUE__"', () => literal)
}

/** Sends a route a JSON body as raw text. */
function sendJson(route: Route, body: string | Buffer, path = pathOf(route)) {
  return send(route.method, path, {
    token: route.auth ? fixtures.token : undefined,
    headers: { 'content-type': 'application/json' },
    body,
  })
}

/**
 * Never a 500; a refusal (4xx) is `{errors: [{message, field?, rule?}]}` in
 * JSON. `allowed` narrows the statuses this case may answer.
 */
function assertHandled(assert: Assert, label: string, answer: Answer, allowed?: number[]) {
  const context = `${label} → ${answer.status} ${answer.text.slice(0, 300)}`
  assert.isBelow(answer.status, 500, context)
  if (allowed) assert.oneOf(answer.status, allowed, context)
  if (answer.status >= 400 && answer.status !== 431 && isPage(answer)) {
    assert.match(answer.contentType, /^text\/html/, context)
    assert.include(answer.text, '<main>', context)
  } else if (answer.status >= 400 && answer.status !== 431) {
    assert.match(answer.contentType, /application\/json/, context)
    assert.isArray(answer.json?.errors, context)
    assert.isAbove(answer.json.errors.length, 0, context)
    for (const error of answer.json.errors) {
      assert.isString(error.message, context)
      assert.includeMembers(['message', 'field', 'rule'], Object.keys(error), context)
    }
  }
}

/**
 * Every table of the schema, row count and a digest of every row, and the
 * queues. Access tokens are digested without `last_used_at`, which each
 * authenticated request moves.
 */
async function databaseState() {
  const { rows: tables } = await db.rawQuery<{ rows: { tablename: string }[] }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'adonis_schema%' ORDER BY tablename"
  )
  const state: Record<string, unknown> = {}
  for (const { tablename } of tables) {
    const columns =
      tablename === 'auth_access_tokens' ? 'id, tokenable_id, hash, abilities, expires_at' : '*'
    const { rows } = await db.rawQuery(
      `SELECT count(*)::int AS count, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
       FROM (SELECT ${columns} FROM "${tablename}") AS t`
    )
    state[tablename] = rows[0]
  }
  state.checkinJobs = await queuedJobIds('checkins')
  state.relanceJobs = await queuedJobIds('relances')
  state.webhookJobs = await queuedJobIds('webhooks')
  return state
}

/** The unicode edge cases, as raw JSON string literals (escapes kept as sent). */
const UNICODE_JSON_LITERALS = [
  '"\\ud800"', // lone high surrogate
  '"\\udfff"', // lone low surrogate
  '"x\\udc00\\ud800x"', // a pair in the wrong order
  '"\\u202egnp.exe"', // right-to-left override
  '"\\u200b\\u200d\\ufeff"', // zero-width space, joiner, BOM
  '"مرحبا עולם"', // right-to-left scripts
  '"👩‍👩‍👧‍👦🧾"', // emoji, a ZWJ sequence
  '"e\\u0301\\u0301\\u0301"', // stacked combining marks
  '"\\u0000"', // NUL
  '"\\uffff\\ufffe"', // noncharacters
]

/** SQL-looking strings. */
const SQL_STRINGS = [
  "' OR '1'='1",
  '1; DROP TABLE invoices; --',
  "1' UNION SELECT password FROM users --",
  "admin@example.test'--",
  '$1',
  '\\',
]

/** Path segments that are no id: traversal, SQL, unicode, 10 KB. */
const BAD_SEGMENTS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%5C..%5Cwindows%5Cwin.ini',
  '1%3B%20DROP%20TABLE%20invoices',
  '%27%20OR%20%271%27%3D%271',
  '%F0%9F%A7%BE',
  '%ED%A0%80',
  '%C0%AF',
  '%00',
  '9'.repeat(10_240),
  'a'.repeat(10_240),
]

/** Invalid UTF-8 byte sequences inside an otherwise valid JSON string. */
const INVALID_UTF8 = [
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xe2, 0x82]),
]

test.group('Bad input corpus', (group) => {
  group.each.setup(async () => {
    await resetState({ rateLimits: true })
    // Payment settings set, so that each field's valid value leaves the row as it is
    const owner = await UserFactory.merge({
      paymentInstructions: 'IBAN FR76 3000 6000 0112',
      latePenaltyRate: 12.5,
      thankClientsOnPayment: true,
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
      accountHolder: 'Studio Ada',
    }).create()
    const accessToken = await User.accessTokens.create(owner)
    const token = accessToken.value!.release()
    const invoice = await createScheduledInvoice(owner, { number: 'TAKEN' })
    const { token: pageToken } = await sentRelanceEmailOf(invoice)
    await createScheduledInvoice(owner, { clientEmail: 'other@acme.test' })
    const source = await readImport({ rows: [invoicePayload({ number: 'F-DRAFT' })] })
    const batch = await db.transaction((trx) => createDraft(owner, source, trx))
    const { endpoint } = await subscribe(owner, 'https://hooks.relance.test/owner')
    // Another user, whose rows must stay as they are too
    await createScheduledInvoice(await UserFactory.create())
    fixtures = {
      owner,
      token,
      pageToken,
      invoiceId: invoice.id,
      clientId: invoice.clientId,
      batchId: batch.id,
      webhookId: endpoint.id,
    }
  })
  group.each.timeout(60_000)

  test('the corpus covers every route the router declares', async ({ assert }) => {
    const declared = Object.values(router.toJSON())
      .flat()
      .flatMap((route) =>
        route.methods
          .filter((method) => method !== 'HEAD')
          .map((method) => `${method} ${route.pattern}`)
      )
    const covered = routes().map((route) => `${route.method} ${route.pattern}`)

    assert.sameMembers(covered, declared)
  })

  test('malformed JSON bodies answer 400 or 422 on every route that reads a body', async ({
    assert,
  }) => {
    const before = await databaseState()
    const bodies = [
      '{"fullName": "Ada",',
      '{fullName: "Ada"}',
      "{'fullName': 'Ada'}",
      'not json at all',
      '{"a":1}}',
      '[1, 2',
      '\u0000',
      '{"a": "\\ud800',
      '{"a": "\\x41"}',
      '{"a": 01}',
      '{"a": NaN}',
      '{"a": 1,}',
    ]

    for (const route of routes().filter(readsBody)) {
      for (const body of bodies) {
        const answer = await sendJson(route, body)
        assertHandled(
          assert,
          `${route.method} ${route.pattern} ${JSON.stringify(body)}`,
          answer,
          [400, 422]
        )
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('JSON that is not an object, or nested 10,000 deep, is refused or ignored', async ({
    assert,
  }) => {
    const before = await databaseState()
    const deep = '['.repeat(10_000) + ']'.repeat(10_000)
    const bodies = ['[]', '[{"number": "F-9"}]', '"F-9"', '42', 'null', 'true', '\ufeff{}', deep]

    // A route that acts without its fields would act on an ignored body: a logout
    // whose body is ignored is a logout (tests/functional/auth.spec.ts)
    for (const route of routes().filter(
      (candidate) => candidate.fields && !candidate.actsWithoutFields
    )) {
      for (const body of [...bodies, `{"rows": ${deep}}`, `{"fullName": ${deep}}`]) {
        const answer = await sendJson(route, body)
        assertHandled(assert, `${route.method} ${route.pattern} ${body.slice(0, 30)}`, answer)
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('a list of a million items, 3,000 levels of nesting, a broken gzip and 51 files get short plain refusals', async ({
    assert,
  }) => {
    const before = await databaseState()
    const million = `{"rows":[${'0,'.repeat(999_999)}0]}`
    const deep = `{"fullName":${'['.repeat(3_000)}${']'.repeat(3_000)}}`
    const brokenGzip = gzipSync(JSON.stringify({ fullName: 'Ada' })).subarray(0, 12)
    const boundary = 'relance-files'
    const files = Buffer.concat([
      ...Array.from({ length: 51 }, (_, n) =>
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${n}.pdf"\r\n\r\n%PDF-1.7\r\n`
        )
      ),
      Buffer.from(`--${boundary}--\r\n`),
    ])

    for (const route of routes().filter(readsBody)) {
      const label = `${route.method} ${route.pattern}`
      const token = route.auth ? fixtures.token : undefined
      const long = await sendJson(route, million)
      assertHandled(assert, `${label} a million items`, long, [413])
      const nested = await sendJson(route, deep)
      assertHandled(assert, `${label} nested 3,000 deep`, nested, [400])
      const gzip = await send(route.method, pathOf(route), {
        token,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: brokenGzip,
      })
      assertHandled(assert, `${label} broken gzip`, gzip, [400])
      const uploads = await send(route.method, pathOf(route), {
        token,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: files,
      })
      assertHandled(assert, `${label} 51 files`, uploads, [413])

      // The client's page answers its refusals as a page of its own, short too
      if (isPage(long)) {
        for (const page of [long, nested, gzip, uploads]) assert.isBelow(page.text.length, 4_000)
        continue
      }
      assert.isBelow(long.text.length, 300, label)
      assert.match(
        long.json.errors[0].message,
        /^The list rows holds 1,000,000 items; the limit is 10,000$/
      )
      assert.deepEqual(nested.json, {
        errors: [{ message: 'The request body is nested too deeply' }],
      })
      assert.deepEqual(gzip.json, {
        errors: [{ message: 'The request body could not be decompressed' }],
      })
      assert.include(uploads.json.errors[0].message, 'the limit is 50')
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('bodies over the size limits answer 413, JSON, form or multipart', async ({ assert }) => {
    const before = await databaseState()
    const json = JSON.stringify({ rows: [], padding: 'x'.repeat(3 * 1024 * 1024) })
    const form = `padding=${'x'.repeat(2 * 1024 * 1024)}`
    const boundary = 'relance-corpus'
    const multipart = multipartFileOfSize(boundary, '../../etc/passwd', 9 * 1024 * 1024)

    for (const route of routes().filter(readsBody)) {
      const label = `${route.method} ${route.pattern}`
      const token = route.auth ? fixtures.token : undefined
      assertHandled(assert, `${label} 3 MB JSON`, await sendJson(route, json), [413])
      const formAnswer = await send(route.method, pathOf(route), {
        token,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      })
      assertHandled(assert, `${label} 2 MB form`, formAnswer, [413])
    }
    for (const route of routes().filter(
      (candidate) =>
        candidate.pattern === '/api/v1/import-batches' || candidate.pattern === '/api/v1/invoices'
    )) {
      const answer = await send('POST', route.pattern, {
        token: fixtures.token,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: multipart,
      })
      assertHandled(assert, `POST ${route.pattern} 9 MB upload`, answer, [413])
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('fields of the wrong type answer 422 naming the field', async ({ assert }) => {
    const before = await databaseState()
    const wrongTypes: unknown[] = [true, 12.5, -1, [], {}, ['x'], { $ne: null }, [[[]]]]
    const wrongStrings = ['abc', '2026-02-30', '1e3', 'null', 'undefined', '[object Object]']

    for (const route of routes().filter((candidate) => candidate.fields)) {
      for (const field of Object.keys(route.fields!)) {
        const numeric = typeof route.fields![field] === 'number'
        const isList = Array.isArray(route.fields![field])
        const isBoolean = typeof route.fields![field] === 'boolean'
        const values = [
          // An empty list is the right type, refused for its length; `true` is a boolean,
          // and the field's own value is no wrong one
          ...wrongTypes.filter(
            (value) =>
              !(isList && Array.isArray(value) && value.length === 0) &&
              !(isBoolean && typeof value === 'boolean') &&
              value !== route.fields![field]
          ),
          ...(isBoolean ? ['true', 0, 1] : []),
          ...(numeric || isList ? wrongStrings : []),
          ...(['dueDate', 'issuedAt', 'remindersPausedUntil', 'paidOn', 'promisedOn'].includes(
            field
          )
            ? wrongStrings
            : []),
        ]
        for (const value of values) {
          const body = JSON.stringify({ ...route.fields, [field]: value })
          const answer = await sendJson(route, body)
          const label = `${route.method} ${route.pattern} ${field}=${JSON.stringify(value)}`
          assertHandled(assert, label, answer, [422])
          assert.isTrue(
            refusedFields(answer).some((refused) => refused.startsWith(field)),
            `${label}: ${answer.text.slice(0, 300)}`
          )
        }
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('query strings of the wrong shape never break a list', async ({ assert }) => {
    const before = await databaseState()
    const values = [
      'abc',
      '-1',
      '0',
      '1.5',
      '1e309',
      '99999999999',
      'NaN',
      'Infinity',
      '%00',
      '%ED%A0%80',
      '%F0%9F%A7%BE',
      encodeURIComponent("' OR '1'='1"),
      encodeURIComponent('1; DROP TABLE invoices; --'),
      'x'.repeat(10_240),
    ]

    for (const route of routes().filter((candidate) => candidate.query)) {
      for (const parameter of route.query!) {
        for (const value of values) {
          const answer = await send('GET', `${pathOf(route)}?${parameter}=${value}`, {
            token: fixtures.token,
          })
          assertHandled(
            assert,
            `${route.pattern}?${parameter}=${value.slice(0, 30)}`,
            answer,
            [422]
          )
        }
        for (const shape of [
          `${parameter}[]=1`,
          `${parameter}[a]=1`,
          `${parameter}[__proto__][x]=1`,
        ]) {
          const answer = await send('GET', `${pathOf(route)}?${shape}`, { token: fixtures.token })
          assertHandled(assert, `${route.pattern}?${shape}`, answer, [200, 422])
        }
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('unicode edge cases and invalid UTF-8 are refused where they cannot fit, never a 500', async ({
    assert,
  }) => {
    const before = await databaseState()
    // Fields where no such string is valid
    const strictFields: Record<string, string[]> = {
      '/api/v1/auth/register': ['email'],
      '/api/v1/auth/login': ['email'],
      '/api/v1/me': [
        'timezone',
        'locale',
        'relanceOffsets',
        'latePenaltyRate',
        'thankClientsOnPayment',
        'iban',
        'bic',
      ],
      '/api/v1/invoices': ['clientEmail', 'amountCents', 'currency', 'issuedAt', 'dueDate'],
      '/api/v1/invoices/:id': ['amountCents', 'currency', 'issuedAt', 'dueDate'],
      '/api/v1/clients/:id': [
        'email',
        'locale',
        'isBusiness',
        'remindersPausedUntil',
        'emailStatus',
      ],
      '/api/v1/import-batches': ['rows'],
      '/api/v1/relance-templates/:sequence': ['locale'],
      '/client/:token/invoices/:id/paid': ['paidOn'],
      '/client/:token/invoices/:id/promise': ['promisedOn'],
      '/api/v1/webhooks': ['url', 'events'],
    }

    for (const route of routes().filter((candidate) => candidate.fields)) {
      for (const field of strictFields[route.pattern] ?? []) {
        for (const literal of UNICODE_JSON_LITERALS) {
          const body = bodyWith(route.fields!, field, literal)
          const answer = await sendJson(route, body)
          assertHandled(
            assert,
            `${route.method} ${route.pattern} ${field}=${literal}`,
            answer,
            [422]
          )
        }
        for (const bytes of INVALID_UTF8) {
          const [head, tail] = JSON.stringify({ ...route.fields, [field]: '__VALUE__' }).split(
            '__VALUE__'
          )
          const answer = await sendJson(
            route,
            Buffer.concat([Buffer.from(head), bytes, Buffer.from(tail)])
          )
          assertHandled(
            assert,
            `${route.method} ${route.pattern} ${field}=${bytes.toString('hex')}`,
            answer,
            [400, 422]
          )
        }
      }
    }
    // A login with any of them matches no account
    for (const literal of UNICODE_JSON_LITERALS) {
      const answer = await send('POST', '/api/v1/auth/login', {
        headers: { 'content-type': 'application/json' },
        body: `{"email": ${JSON.stringify(fixtures.owner.email)}, "password": ${literal}}`,
      })
      assertHandled(assert, `login password=${literal}`, answer, [401, 422])
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('lone surrogates in free text are refused, not stored altered', async ({ assert }) => {
    const before = await databaseState()
    const freeText: [string, string][] = [
      ['/api/v1/auth/register', 'fullName'],
      ['/api/v1/me', 'fullName'],
      ['/api/v1/invoices', 'number'],
      ['/api/v1/invoices', 'clientName'],
      ['/api/v1/invoices/:id', 'number'],
      ['/api/v1/clients/:id', 'name'],
      ['/api/v1/me', 'paymentInstructions'],
      ['/api/v1/relance-templates/:sequence', 'subject'],
      ['/api/v1/relance-templates/:sequence', 'body'],
      ['/client/:token/invoices/:id/paid', 'note'],
      ['/client/:token/invoices/:id/dispute', 'message'],
    ]

    for (const [pattern, field] of freeText) {
      const route = routes().find((candidate) => candidate.pattern === pattern && candidate.fields)!
      for (const literal of ['"\\ud800"', '"F-\\udfff-1"', '"x\\udc00\\ud800x"', '"\\ud83d"']) {
        const body = bodyWith(route.fields!, field, literal)
        const answer = await sendJson(route, body)
        const label = `${route.method} ${pattern} ${field}=${literal}`
        assertHandled(assert, label, answer, [422])
        assert.equal(refusedFields(answer)[0], field, label)
      }
    }
    // An import row cannot keep one either: the whole import is refused
    const imports = routes().find((route) => route.pattern === '/api/v1/import-batches')!
    for (const field of ['number', 'clientName', 'clientEmail']) {
      const row = bodyWith(invoicePayload(), field, '"F-\\ud800"')
      const answer = await sendJson(imports, `{"rows": [${row}]}`)
      assertHandled(assert, `import row ${field}`, answer, [422])
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('SQL-looking strings are refused where they cannot fit, and match nothing', async ({
    assert,
  }) => {
    const before = await databaseState()
    const strictFields: Record<string, string[]> = {
      '/api/v1/auth/register': ['email'],
      '/api/v1/me': ['timezone', 'locale', 'iban', 'bic'],
      '/api/v1/invoices': ['clientEmail', 'currency', 'issuedAt', 'dueDate'],
      '/api/v1/invoices/:id': ['currency', 'issuedAt', 'dueDate'],
      '/api/v1/clients/:id': ['email', 'remindersPausedUntil'],
      '/client/:token/invoices/:id/paid': ['paidOn'],
      '/client/:token/invoices/:id/promise': ['promisedOn'],
      '/api/v1/webhooks': ['url', 'events'],
    }

    for (const route of routes().filter((candidate) => candidate.fields)) {
      for (const field of strictFields[route.pattern] ?? []) {
        for (const value of SQL_STRINGS) {
          const answer = await sendJson(route, JSON.stringify({ ...route.fields, [field]: value }))
          assertHandled(assert, `${route.method} ${route.pattern} ${field}=${value}`, answer, [422])
        }
      }
    }
    for (const value of SQL_STRINGS) {
      for (const credentials of [
        { email: value, password: value },
        { email: fixtures.owner.email, password: value },
      ]) {
        const answer = await send('POST', '/api/v1/auth/login', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(credentials),
        })
        assertHandled(assert, `login ${JSON.stringify(credentials)}`, answer, [401, 422])
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('ids and check-in tokens that are traversal, SQL, unicode or 10 KB match nothing', async ({
    assert,
  }) => {
    const before = await databaseState()

    for (const route of routes().filter(hasParameter)) {
      const isCheckin = route.pattern.includes(':token')
      for (const segment of BAD_SEGMENTS) {
        const answer = await send(route.method, pathOf(route, segment), {
          token: route.auth ? fixtures.token : undefined,
        })
        const label = `${route.method} ${route.pattern} with ${segment.slice(0, 40)}`
        // A path that does not decode is a 400 before any route; a link's GET may show its page
        assertHandled(assert, label, answer, isCheckin ? [200, 302, 303, 400, 404] : [400, 404])
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('bearer tokens that are 10 KB, SQL, unicode or malformed answer 401 everywhere', async ({
    assert,
  }) => {
    const before = await databaseState()
    const [prefix, secret] = [fixtures.token.slice(0, 4), fixtures.token.slice(4)]
    const badTokens = [
      'x'.repeat(10_240),
      `${prefix}${'A'.repeat(10_240)}`,
      `${prefix}${secret}${'A'.repeat(10_240)}`,
      `${prefix}1.${'A'.repeat(10_240)}`,
      `${prefix}99999999999999999999.${secret.split('.').at(-1)}`,
      `${prefix}-1.${secret.split('.').at(-1)}`,
      `${prefix}%27%20OR%201=1.abc`,
      "' OR '1'='1",
      `${prefix}${Buffer.from('1. OR 1=1').toString('base64url')}`,
      '..%2F..%2Fetc%2Fpasswd',
      '\u202e\u200b',
      '',
    ]

    for (const route of routes().filter((candidate) => candidate.auth)) {
      for (const token of badTokens) {
        const answer = await send(route.method, pathOf(route), {
          // Headers carry bytes: a non-Latin-1 token goes as its UTF-8 bytes
          headers: { authorization: Buffer.from(`Bearer ${token}`).toString('latin1') },
        })
        assertHandled(
          assert,
          `${route.method} ${route.pattern} token ${token.slice(0, 30)}`,
          answer,
          [401]
        )
      }
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('uploads with traversal filenames or unreadable content are refused', async ({ assert }) => {
    const before = await databaseState()
    const boundary = 'relance-corpus'
    const filenames = [
      '../../etc/passwd',
      '..\\..\\windows\\win.ini',
      '/etc/passwd',
      'C:\\Windows\\System32\\drivers\\etc\\hosts',
      '....//....//etc/passwd',
      '%2e%2e%2fetc%2fpasswd',
      'invoices\u0000.csv',
      '\u202ecsv.exe',
      'x'.repeat(10_240),
    ]
    const contents = [
      Buffer.alloc(0),
      Buffer.from([0x00, 0xff, 0x00, 0xfe, 0x89, 0x50, 0x4e, 0x47]),
      Buffer.from('root:x:0:0:root:/root:/bin/bash\n'),
    ]
    const parts = (filename: string, content: Buffer, header = 'form-data; name="file"') =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: ${header}; filename="${filename}"\r\n` +
            'Content-Type: text/csv\r\n\r\n'
        ),
        content,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ])
    const upload = (
      body: Buffer,
      contentType = `multipart/form-data; boundary=${boundary}`,
      [method, path] = ['POST', '/api/v1/import-batches']
    ) =>
      send(method, path, {
        token: fixtures.token,
        headers: { 'content-type': contentType },
        body,
      })
    // A CSV, PDFs to import, an invoice's PDF
    const targets: [string, string, string][] = [
      ['POST', '/api/v1/import-batches', 'file'],
      ['POST', '/api/v1/import-batches', 'files'],
      ['PUT', `/api/v1/invoices/${fixtures.invoiceId}/document`, 'file'],
    ]

    for (const [method, path, field] of targets) {
      for (const filename of filenames) {
        for (const content of contents) {
          const answer = await upload(
            parts(filename, content, `form-data; name="${field}"`),
            undefined,
            [method, path]
          )
          assertHandled(
            assert,
            `${method} ${path} ${field} ${filename.slice(0, 30)} (${content.length} bytes)`,
            answer,
            [400, 413, 415, 422]
          )
        }
      }
    }
    // Broken multipart framing
    const broken: [string, Buffer, string?][] = [
      ['no boundary', parts('a.csv', contents[2]), 'multipart/form-data'],
      ['another boundary', parts('a.csv', contents[2]), 'multipart/form-data; boundary=other'],
      [
        'no closing boundary',
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nnumber`
        ),
      ],
      ['garbage', Buffer.from('\u0000\u0001garbage--')],
      ['no part headers', Buffer.from(`--${boundary}\r\n\r\nnumber;client\r\n--${boundary}--\r\n`)],
      ['a field, not a file', parts('a.csv', contents[2], 'form-data; name="rows"')],
    ]
    for (const [label, body, contentType] of broken) {
      const answer = await upload(body, contentType)
      assertHandled(assert, `upload: ${label}`, answer, [400, 413, 415, 422])
    }
    assert.deepEqual(await databaseState(), before)
  })

  test('content types and encodings the API does not speak are refused', async ({ assert }) => {
    const before = await databaseState()
    // Incomplete whichever way it is read: the encoding alone decides nothing
    const body = JSON.stringify({ number: 'F-ENCODING' })
    const cases: [string, Record<string, string>, string | Buffer][] = [
      ['utf-16 JSON', { 'content-type': 'application/json; charset=utf-16' }, body],
      [
        'real utf-16 JSON',
        { 'content-type': 'application/json; charset=utf-16le' },
        Buffer.from(body, 'utf16le'),
      ],
      ['unknown charset', { 'content-type': 'application/json; charset=klingon' }, body],
      [
        'gzip that is not',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
      ],
      [
        'truncated gzip',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(body).subarray(0, 12),
      ],
      [
        'deflate that is not',
        { 'content-type': 'application/json', 'content-encoding': 'deflate' },
        body,
      ],
      [
        'gzip inflating past the JSON limit',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(JSON.stringify({ number: 'x'.repeat(3 * 1024 * 1024) })),
      ],
      ['unknown encoding', { 'content-type': 'application/json', 'content-encoding': 'br2' }, body],
      ['form garbage', { 'content-type': 'application/x-www-form-urlencoded' }, '%%%=%&&=='],
      ['xml', { 'content-type': 'application/xml' }, '<invoice><number>1</number></invoice>'],
    ]

    for (const [label, headers, payload] of cases) {
      const answer = await send('POST', '/api/v1/invoices', {
        token: fixtures.token,
        headers,
        body: payload,
      })
      assertHandled(assert, label, answer, [400, 413, 415, 422])
    }
    assert.deepEqual(await databaseState(), before)
  })
})
