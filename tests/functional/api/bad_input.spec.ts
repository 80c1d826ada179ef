import { test } from '@japa/runner'
import type { ApiClient, ApiRequest } from '@japa/api-client'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import Invoice from '#models/invoice'
import Client from '#models/client'
import { UserFactory } from '#database/factories/user_factory'
import { ClientFactory } from '#database/factories/client_factory'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { rubisOf } from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { login, register, registration } from '#tests/helpers/auth_requests'
import {
  assertErrorBody,
  assertFieldErrors,
  type ExpectedFieldError,
} from '#tests/helpers/api_assertions'
import {
  invoicePayload,
  postInvoice,
  storeInvoice,
  userWithInvoice,
} from '#tests/helpers/invoice_requests'

const ONE_MB = 1024 * 1024

/**
 * Auth routes are rate limited per client IP. Requests come from loopback,
 * whose X-Forwarded-For is trusted: each one here gets an address of its own
 * so the limit never interferes with what these tests look at.
 */
let addressCounter = 0
function fromFreshAddress<T extends ApiRequest>(request: T): T {
  addressCounter++
  return request.header('x-forwarded-for', `198.18.${addressCounter >> 8}.${addressCounter & 255}`)
}

/**
 * Everything a refused request must leave as it was. Access tokens are left
 * out: `loginAs` creates one per request.
 */
async function snapshot() {
  const tables = [
    'users',
    'clients',
    'invoices',
    'checkin_tasks',
    'relances',
    'activity_events',
    'import_batches',
  ]
  const counts: Record<string, number> = {}
  for (const table of tables) counts[table] = await countRows(table)
  return {
    counts,
    invoices: await db.from('invoices').orderBy('id').select('*'),
    users: await db.from('users').orderBy('id').select('id', 'email', 'full_name', 'rubis'),
    checkinJobs: await queuedJobIds('checkins'),
    relanceJobs: await queuedJobIds('relances'),
  }
}

/** A raw JSON body sent as is, however malformed. */
function sendRawJson(request: ApiRequest, body: string) {
  return request.type('application/json').unsafeJson(body)
}

/** The four routes that take an invoice id, not yet sent. */
function invoiceIdRoutes(client: ApiClient, user: User, id: string | number) {
  return [
    client.get(`/api/v1/invoices/${id}`).loginAs(user),
    client.patch(`/api/v1/invoices/${id}`).loginAs(user).json({ amountCents: 1 }),
    client.post(`/api/v1/invoices/${id}/mark-paid`).loginAs(user),
    client.post(`/api/v1/invoices/${id}/cancel`).loginAs(user),
  ]
}

type Expected = number | number[] | ExpectedFieldError[]

/**
 * One kind of bad input: the requests that send it, each with the answer
 * it must get, a status (or any of several) or the fields a 422 names.
 */
type Refusal = {
  title: string
  attempts: (scene: {
    client: ApiClient
    user: User
    invoice: { id: number }
  }) => [ApiRequest, Expected][]
}

const invoiceFieldsOfTheWrongType: [Record<string, unknown>, string, string][] = [
  [{ amountCents: 'abc' }, 'amountCents', 'number'],
  [{ amountCents: { value: 1 } }, 'amountCents', 'number'],
  [{ amountCents: true }, 'amountCents', 'number'],
  [{ amountCents: [1500] }, 'amountCents', 'number'],
  [{ dueDate: 12 }, 'dueDate', 'string'],
  [{ dueDate: ['2026-03-01'] }, 'dueDate', 'string'],
  [{ number: {} }, 'number', 'string'],
  [{ number: ['F-1'] }, 'number', 'string'],
  [{ clientEmail: ['billing@acme.test'] }, 'clientEmail', 'string'],
  [{ clientName: { first: 'Acme' } }, 'clientName', 'string'],
  [{ currency: 978 }, 'currency', 'string'],
  [{ issuedAt: false }, 'issuedAt', 'string'],
]

const profileFieldsOfTheWrongType: [Record<string, unknown>, string][] = [
  [{ timezone: 3 }, 'timezone'],
  [{ timezone: ['Europe/Paris'] }, 'timezone'],
  [{ locale: true }, 'locale'],
  [{ relanceOffsets: { first: 3 } }, 'relanceOffsets'],
  [{ relanceOffsets: [[3]] }, 'relanceOffsets.0'],
  [{ fullName: { text: 'Ada' } }, 'fullName'],
]

const huge = 'x'.repeat(ONE_MB)

const refusals: Refusal[] = [
  {
    title: 'a malformed JSON body answers a 4xx JSON error',
    attempts: ({ client, user, invoice }) =>
      [
        '{"number": "F-9",',
        '{number: "F-9"}',
        "{'number': 'F-9'}",
        'not json at all',
        '{"a":1}}',
        '[1, 2',
        '\u0000',
      ].flatMap((body) =>
        [
          client.post('/api/v1/invoices').loginAs(user),
          client.patch(`/api/v1/invoices/${invoice.id}`).loginAs(user),
          client.patch('/api/v1/me').loginAs(user),
          fromFreshAddress(client.post('/api/v1/auth/register')),
          fromFreshAddress(client.post('/api/v1/auth/login')),
        ].map((request): [ApiRequest, Expected] => [sendRawJson(request, body), [400, 422]])
      ),
  },
  {
    title: 'a JSON body that is not an object answers a 4xx',
    attempts: ({ client, user }) =>
      ['[]', '[{"number": "F-9"}]', '"F-9"', '42', 'null', 'true', ''].map((body) => [
        sendRawJson(client.post('/api/v1/invoices').loginAs(user), body),
        [400, 422],
      ]),
  },
  {
    title: 'a body that is not JSON at all is refused with field errors',
    attempts: ({ client, user }) => {
      const request = client.post('/api/v1/invoices').loginAs(user)
      request.request.type('text/plain').send(JSON.stringify(invoicePayload()))
      return [[request, [{ field: 'number', rule: 'required' }]]]
    },
  },
  {
    title: 'fields of the wrong type answer 422 naming the field',
    attempts: ({ client, user }) =>
      invoiceFieldsOfTheWrongType.map(([overrides, field, rule]) => [
        postInvoice(client, user, overrides),
        [{ field, rule }],
      ]),
  },
  {
    title: 'profile fields of the wrong type answer 422 naming the field',
    attempts: ({ client, user }) =>
      profileFieldsOfTheWrongType.map(([body, field]) => [
        client.patch('/api/v1/me').loginAs(user).json(body),
        [{ field }],
      ]),
  },
  {
    title: 'numbers JSON cannot hold as integers are refused',
    attempts: ({ client, user }) =>
      ['1e400', '-1e400', '9007199254740993', '1e-400', '0.1e1000'].map((raw) => [
        sendRawJson(
          client.post('/api/v1/invoices').loginAs(user),
          JSON.stringify(invoicePayload({ amountCents: '__AMOUNT__' })).replace('"__AMOUNT__"', raw)
        ),
        [{ field: 'amountCents' }],
      ]),
  },
  {
    title: 'one-megabyte strings answer 422 or 413, never 500',
    attempts: ({ client, user, invoice }) => [
      ...['number', 'clientName', 'clientEmail', 'currency', 'dueDate', 'issuedAt'].map(
        (field): [ApiRequest, Expected] => [
          postInvoice(client, user, { [field]: huge }),
          [413, 422],
        ]
      ),
      ...['number', 'currency', 'dueDate'].map((field): [ApiRequest, Expected] => [
        client
          .patch(`/api/v1/invoices/${invoice.id}`)
          .loginAs(user)
          .json({ [field]: huge }),
        [413, 422],
      ]),
      ...['fullName', 'timezone', 'locale'].map((field): [ApiRequest, Expected] => [
        client
          .patch('/api/v1/me')
          .loginAs(user)
          .json({ [field]: huge }),
        [413, 422],
      ]),
      ...['fullName', 'email', 'password'].map((field): [ApiRequest, Expected] => [
        fromFreshAddress(register(client, { ...registration, fullName: 'Ada', [field]: huge })),
        [413, 422],
      ]),
      [fromFreshAddress(login(client, { email: user.email, password: huge })), [413, 422]],
    ],
  },
  {
    title: 'a body over the JSON size limit answers 413',
    attempts: ({ client, user }) => [
      [postInvoice(client, user, { notes: 'x'.repeat(3 * ONE_MB) }), 413],
    ],
  },
  {
    title: 'ids that are not positive integers of the id range answer 404',
    attempts: ({ client, user }) =>
      ['abc', '99999999999', '2147483648', '0', '-1', '1.5', '1e3', '0x1', '%20', '1;'].flatMap(
        (id) =>
          invoiceIdRoutes(client, user, id).map((request): [ApiRequest, Expected] => [request, 404])
      ),
  },
  {
    title: 'ids that match no invoice answer 404',
    attempts: ({ client, user, invoice }) =>
      [invoice.id + 1, 999_999_999].flatMap((id) =>
        invoiceIdRoutes(client, user, id).map((request): [ApiRequest, Expected] => [request, 404])
      ),
  },
  {
    title: 'a NUL character in a string is refused, not a 500',
    attempts: ({ client, user, invoice }) => [
      [postInvoice(client, user, { number: 'F-\u0000-2' }), [{ field: 'number' }]],
      [
        postInvoice(client, user, { number: 'F-3', clientName: 'Acme\u0000' }),
        [{ field: 'clientName' }],
      ],
      [
        client.patch(`/api/v1/invoices/${invoice.id}`).loginAs(user).json({ number: 'F-\u0000' }),
        [{ field: 'number' }],
      ],
      [
        client.patch('/api/v1/me').loginAs(user).json({ fullName: 'Ada\u0000' }),
        [{ field: 'fullName' }],
      ],
      [
        fromFreshAddress(register(client, { ...registration, fullName: 'Ada\u0000' })),
        [{ field: 'fullName' }],
      ],
      [
        postInvoice(client, user, { number: 'F-4', clientEmail: 'billing\u0000@acme.test' }),
        [{ field: 'clientEmail' }],
      ],
    ],
  },
  {
    title: 'dates PostgreSQL cannot store are refused, not a 500',
    attempts: ({ client, user }) => [
      ...['0000-01-01', '0000-12-31'].map((dueDate): [ApiRequest, Expected] => [
        postInvoice(client, user, { dueDate }),
        [{ field: 'dueDate' }],
      ]),
      [postInvoice(client, user, { issuedAt: '0000-06-15' }), [{ field: 'issuedAt' }]],
    ],
  },
  {
    title: 'a due date past 5 years ahead or 10 years back is a 422 naming dueDate',
    attempts: ({ client, user }) => [
      [
        postInvoice(client, user, { number: 'F-far', dueDate: '9999-12-31' }),
        [{ field: 'dueDate', rule: 'dateRange' }],
      ],
      [
        postInvoice(client, user, { number: 'F-old', dueDate: '1900-01-01' }),
        [{ field: 'dueDate', rule: 'dateRange' }],
      ],
    ],
  },
]

test.group('Bad input', (group) => {
  group.each.setup(() => resetState())

  test('{title}; nothing is written')
    .with(refusals)
    .run(async ({ client, assert }, refusal) => {
      const { user, invoice } = await userWithInvoice(client)
      const before = await snapshot()
      for (const [request, expected] of refusal.attempts({ client, user, invoice })) {
        const response = await request
        if (Array.isArray(expected) && typeof expected[0] === 'object') {
          assertFieldErrors(assert, response, expected as ExpectedFieldError[])
        } else {
          assertErrorBody(assert, response, expected as number | number[])
        }
      }
      assert.deepEqual(await snapshot(), before)
    })

  test('unknown fields are ignored: they cannot set the owner, status or id', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const othersClient = await ClientFactory.merge({ userId: other.id }).create()

    const response = await postInvoice(client, user, {
      id: 4242,
      userId: other.id,
      user_id: other.id,
      clientId: othersClient.id,
      status: 'paid',
      paidAt: DateTime.now().toISO(),
      paidVia: 'manual',
      rubis: 99,
      importBatchId: 1,
      notes: 'ignored',
    })

    response.assertStatus(201)
    const body = response.body().data
    assert.notEqual(body.id, 4242)
    assert.equal(body.status, 'pending')
    assert.isNull(body.paidAt)
    assert.notProperty(body, 'notes')
    const stored = await Invoice.findOrFail(body.id)
    assert.equal(stored.userId, user.id)
    assert.notEqual(stored.clientId, othersClient.id)
    assert.isNull(stored.importBatchId)
    const storedClient = await Client.findOrFail(stored.clientId)
    assert.equal(storedClient.userId, user.id)
    assert.equal(await rubisOf(user.id), 0)
    assert.equal(await countRows('invoices'), 1)
  })

  test('unknown fields in an update are ignored too', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const othersClient = await ClientFactory.merge({ userId: other.id }).create()
    const invoice = await storeInvoice(client, user)

    const response = await client.patch(`/api/v1/invoices/${invoice.id}`).loginAs(user).json({
      status: 'paid',
      paidVia: 'checkin',
      userId: other.id,
      clientId: othersClient.id,
      amountCents: 200,
    })

    response.assertStatus(200)
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.amountCents, 200)
    assert.equal(stored.status, 'pending')
    assert.isNull(stored.paidVia)
    assert.equal(stored.userId, user.id)
    assert.equal(stored.clientId, invoice.client.id)
    assert.equal(await rubisOf(user.id), 0)
  })

  test('__proto__ and constructor keys in a body change nothing', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const body = JSON.stringify(invoicePayload()).replace(
      /^\{/,
      '{"__proto__": {"status": "paid", "userId": 999}, "constructor": {"prototype": {"status": "paid"}},'
    )

    const response = await sendRawJson(client.post('/api/v1/invoices').loginAs(user), body)

    response.assertStatus(201)
    assert.equal(response.body().data.status, 'pending')
    const stored = await Invoice.findOrFail(response.body().data.id)
    assert.equal(stored.status, 'pending')
    assert.equal(stored.userId, user.id)
    // The server runs in this process: its prototypes are ours
    assert.notProperty({}, 'status')
    assert.notProperty(Object.prototype, 'userId')
  })

  test('query strings of the wrong shape answer 422', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const queries = [
      'page=abc',
      'page=99999999999',
      'perPage=1e309',
      'perPage=-5',
      'status[]=paid',
      'status=%27%20OR%201%3D1%20--',
    ]

    for (const query of queries) {
      const response = await client.get(`/api/v1/invoices?${query}`).loginAs(user)
      assertErrorBody(assert, response, 422)
    }
    assertErrorBody(assert, await client.get('/api/v1/activity?page=abc').loginAs(user), 422)

    // A repeated parameter reads as its value; it never breaks the list
    for (const query of ['page[]=1', 'page=1&page=2', 'perPage[a]=5']) {
      const response = await client.get(`/api/v1/invoices?${query}`).loginAs(user)
      assert.oneOf(response.status(), [200, 422], query)
    }
  })

  test('SQL-looking strings are stored verbatim', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const number = `F-1'; DROP TABLE invoices; --`
    const clientName = `Robert'); DELETE FROM clients WHERE ('1'='1`
    const clientEmail = `o'brien@acme.test`

    const created = await storeInvoice(client, user, { number, clientName, clientEmail })

    assert.equal(created.number, number)
    assert.equal(created.client.name, clientName)
    assert.equal(created.client.email, clientEmail)
    const shown = await client.get(`/api/v1/invoices/${created.id}`).loginAs(user)
    assert.equal(shown.body().data.number, number)
    assert.equal(shown.body().data.client.name, clientName)
    const stored = await Invoice.findOrFail(created.id)
    assert.equal(stored.number, number)
    const storedClient = await Client.findOrFail(stored.clientId)
    assert.equal(storedClient.name, clientName)
    assert.equal(await countRows('invoices'), 1)
    assert.equal(await countRows('clients'), 1)

    // The same number again is a duplicate, found through the same quoting
    const duplicate = await postInvoice(client, user, { number })
    assertErrorBody(assert, duplicate, 409)
  })

  test('unicode and emoji invoice numbers and names round-trip', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const number = 'FAC-2026-№7-été-🧾'
    const clientName = 'Zoë Ñandú 株式会社 🚀'

    const created = await storeInvoice(client, user, { number, clientName })

    assert.equal(created.number, number)
    assert.equal(created.client.name, clientName)
    const stored = await Invoice.findOrFail(created.id)
    assert.equal(stored.number, number)
    const listed = await client.get('/api/v1/invoices').loginAs(user)
    assert.equal(listed.body().data[0].number, number)

    const duplicate = await postInvoice(client, user, { number })
    assertErrorBody(assert, duplicate, 409)

    // Fifty emoji: 100 UTF-16 units, but 50 characters, the limit
    const emoji = await storeInvoice(client, user, { number: '🧾'.repeat(50) })
    const storedEmoji = await Invoice.findOrFail(emoji.id)
    assert.equal(storedEmoji.number, '🧾'.repeat(50))
  })
})
