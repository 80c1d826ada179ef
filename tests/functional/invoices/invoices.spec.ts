import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Client from '#models/client'
import CheckinTask from '#models/checkin_task'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import { ClientFactory } from '#database/factories/client_factory'
import { InvoiceFactory } from '#database/factories/invoice_factory'
import { getQueue } from '#queue/queues'
import { queuedJobIds, resetState, rowsAndJobs } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { assertEmptyPage, assertErrorBody, assertFieldErrors } from '#tests/helpers/api_assertions'
import {
  DEFAULT_ZONE as ZONE,
  dueIn,
  invoiceAndIntruder,
  invoicePayload,
  postInvoice,
  storeInvoice,
  userWithInvoice,
} from '#tests/helpers/invoice_requests'

/** What `work` returns, and the SQL statements run while it ran (the server is in-process). */
async function recordQueries<T>(work: () => Promise<T>) {
  const knex = db.connection().getWriteClient()
  const statements: string[] = []
  const listener = (query: { sql: string }) => statements.push(query.sql)
  knex.on('query', listener)
  try {
    return { result: await work(), statements }
  } finally {
    knex.off('query', listener)
  }
}

const inParis = (iso: string) => DateTime.fromISO(iso).setZone(ZONE)

test.group('Invoices / store', (group) => {
  group.each.setup(() => resetState())

  test('store answers 201 with the invoice, its client, a scheduled check-in and 3 relances', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const dueDate = dueIn(30)

    const response = await postInvoice(client, user, { dueDate })

    response.assertStatus(201)
    const invoice = response.body().data
    assert.containSubset(invoice, {
      number: 'F-2026-001',
      status: 'pending',
      amountCents: 150_000,
      currency: 'EUR',
      issuedAt: null,
      dueDate,
      paidAt: null,
      paidVia: null,
      client: { name: 'Acme', email: 'billing@acme.test' },
      checkin: { status: 'scheduled', answer: null, sentAt: null, answeredAt: null },
    })
    assert.isNumber(invoice.id)
    assert.isNumber(invoice.client.id)
    assert.notProperty(invoice.checkin, 'tokenHash')
    assert.deepEqual(
      invoice.relances.map((relance: any) => [relance.sequence, relance.status, relance.sentAt]),
      [
        [1, 'scheduled', null],
        [2, 'scheduled', null],
        [3, 'scheduled', null],
      ]
    )

    // The check-in goes out at 09:00 on the due date in the user's zone
    const checkinAt = inParis(invoice.checkin.scheduledAt)
    assert.equal(checkinAt.toISODate(), dueDate)
    assert.equal(checkinAt.hour, 9)
    // Relances follow it, on weekdays at 09:00, in order
    let previous = checkinAt
    for (const relance of invoice.relances) {
      const at = inParis(relance.scheduledAt)
      assert.isTrue(at > previous.plus({ hours: 23 }), `relance ${relance.sequence} after`)
      assert.equal(at.hour, 9)
      assert.isAtMost(at.weekday, 5)
      previous = at
    }

    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.userId, user.id)
    assert.equal(stored.dueDate.toISODate(), dueDate)
  })

  test('store queues the check-in job and one job per relance', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const invoice = await storeInvoice(client, user)

    const tasks = await CheckinTask.query().where('invoice_id', invoice.id)
    assert.lengthOf(tasks, 1)
    assert.equal(tasks[0].status, 'scheduled')
    const relances = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.lengthOf(relances, 3)

    assert.deepEqual(await queuedJobIds('checkins'), [`checkin-${tasks[0].id}`])
    assert.deepEqual(
      await queuedJobIds('relances'),
      relances.map((relance) => `relance-${relance.id}`).sort()
    )
    // Each job waits until its row's moment
    const job = await getQueue('checkins').getJob(`checkin-${tasks[0].id}`)
    assert.closeTo(job!.timestamp + job!.opts.delay!, tasks[0].scheduledAt.toMillis(), 2_000)
  })

  test('store records an invoice_created activity event', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const invoice = await storeInvoice(client, user)

    const events = await ActivityEvent.query().where('user_id', user.id)
    assert.lengthOf(events, 1)
    assert.equal(events[0].type, 'invoice_created')
    assert.equal(events[0].invoiceId, invoice.id)
  })

  test('store keeps the currency and issue date it is given', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const invoice = await storeInvoice(client, user, { currency: 'usd', issuedAt: '2026-01-15' })

    assert.equal(invoice.currency, 'USD')
    assert.equal(invoice.issuedAt, '2026-01-15')
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.currency, 'USD')
    assert.equal(stored.issuedAt!.toISODate(), '2026-01-15')
  })

  test('store upserts the client by email, ignoring case', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const first = await storeInvoice(client, user, {
      number: 'F-1',
      clientEmail: 'Billing@Acme.test',
    })
    const second = await storeInvoice(client, user, {
      number: 'F-2',
      clientName: 'Acme SAS',
      clientEmail: 'billing@acme.test',
    })

    assert.equal(second.client.id, first.client.id)
    const clients = await Client.query().where('user_id', user.id)
    assert.lengthOf(clients, 1)
    assert.equal(clients[0].email, 'billing@acme.test')
    assert.equal(await countRows('invoices'), 2)
  })

  test('clients belong to one user: the same email for two users makes two clients', async ({
    client,
    assert,
  }) => {
    const ada = await UserFactory.create()
    const grace = await UserFactory.create()

    const adaInvoice = await storeInvoice(client, ada)
    const graceInvoice = await storeInvoice(client, grace)

    assert.notEqual(adaInvoice.client.id, graceInvoice.client.id)
    assert.equal(await countRows('clients'), 2)
  })

  test('store answers 409 for a number the user already used, and changes nothing', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await storeInvoice(client, user, { number: 'F-42' })
    const before = await rowsAndJobs()

    const response = await postInvoice(client, user, {
      number: 'F-42',
      clientEmail: 'other@client.test',
    })

    assertErrorBody(assert, response, 409)
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('two users may use the same invoice number', async ({ client, assert }) => {
    const ada = await UserFactory.create()
    const grace = await UserFactory.create()
    await storeInvoice(client, ada, { number: 'F-42' })

    await storeInvoice(client, grace, { number: 'F-42' })

    assert.equal(await countRows('invoices'), 2)
  })

  test('store answers 422 naming every missing field', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await client.post('/api/v1/invoices').loginAs(user).json({})

    assertFieldErrors(assert, response, [
      { field: 'number', rule: 'required' },
      { field: 'clientName', rule: 'required' },
      { field: 'clientEmail', rule: 'required' },
      { field: 'amountCents', rule: 'required' },
      { field: 'dueDate', rule: 'required' },
    ])
    assert.equal(await countRows('invoices'), 0)
  })

  /** Each value of the field is refused with its rule, and nothing is stored. */
  test('store requires {field} to be {expectation}')
    .with<{ field: string; expectation: string; cases: [unknown, string][] }[]>([
      {
        field: 'amountCents',
        expectation: 'a positive integer',
        cases: [
          [0, 'positive'],
          [-500, 'positive'],
          [12.5, 'withoutDecimals'],
          [1e14, 'max'],
          ['twelve', 'number'],
          [true, 'number'],
          [[1500], 'number'],
          [null, 'required'],
        ],
      },
      {
        field: 'dueDate',
        expectation: 'a real YYYY-MM-DD date',
        cases: [
          ['2026-02-30', 'date'],
          ['2026-13-01', 'date'],
          ['2026-00-10', 'date'],
          ['2026-2-3', 'regex'],
          ['30/01/2026', 'regex'],
          ['2026-02-10T10:00:00Z', 'regex'],
          ['tomorrow', 'regex'],
        ],
      },
    ])
    .run(async ({ client, assert }, { field, cases }) => {
      const user = await UserFactory.create()

      for (const [value, rule] of cases) {
        const response = await postInvoice(client, user, { [field]: value })
        assertFieldErrors(assert, response, [{ field, rule }])
      }
      assert.equal(await countRows('invoices'), 0)
      assert.equal(await countRows('clients'), 0)
    })

  test('store validates the issue date, the currency and the client email', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const response = await postInvoice(client, user, {
      issuedAt: '2026-02-29',
      currency: 'EURO',
      clientEmail: 'acme',
    })

    assertFieldErrors(assert, response, [
      { field: 'issuedAt', rule: 'date' },
      { field: 'currency', rule: 'regex' },
      { field: 'clientEmail', rule: 'email' },
    ])
    assert.equal(await countRows('invoices'), 0)
  })

  test('store answers 401 without a token', async ({ client, assert }) => {
    const response = await client.post('/api/v1/invoices').json(invoicePayload())

    assertErrorBody(assert, response, 401)
    assert.equal(await countRows('invoices'), 0)
  })
})

test.group('Invoices / index', (group) => {
  group.each.setup(() => resetState())

  test('index lists only the user’s invoices, each with client, check-in and relances', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const mine = [
      await storeInvoice(client, user, { number: 'F-1' }),
      await storeInvoice(client, user, { number: 'F-2' }),
    ]
    await storeInvoice(client, other, { number: 'F-3' })

    const response = await client.get('/api/v1/invoices').loginAs(user)

    response.assertStatus(200)
    const { data, meta } = response.body()
    assert.sameMembers(
      data.map((invoice: any) => invoice.id),
      mine.map((invoice) => invoice.id)
    )
    assert.deepEqual(meta, { total: 2, perPage: 20, currentPage: 1, lastPage: 1 })
    for (const invoice of data) {
      assert.containSubset(invoice, {
        client: { name: 'Acme', email: 'billing@acme.test' },
        checkin: { status: 'scheduled' },
      })
      assert.lengthOf(invoice.relances, 3)
    }
  })

  test('index answers an empty page when the user has no invoice', async ({ client, assert }) => {
    const user = await UserFactory.create()

    assertEmptyPage(assert, await client.get('/api/v1/invoices').loginAs(user))
  })

  test('index filters by status', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const customer = await ClientFactory.merge({ userId: user.id }).create()
    const rows = InvoiceFactory.merge({ userId: user.id, clientId: customer.id })
    await rows.createMany(3)
    const paid = await InvoiceFactory.merge({
      userId: user.id,
      clientId: customer.id,
      status: 'paid',
      paidAt: DateTime.now(),
      paidVia: 'manual',
    }).createMany(2)
    await InvoiceFactory.merge({
      userId: user.id,
      clientId: customer.id,
      status: 'cancelled',
    }).create()

    const response = await client.get('/api/v1/invoices').qs({ status: 'paid' }).loginAs(user)

    response.assertStatus(200)
    const { data, meta } = response.body()
    assert.sameMembers(
      data.map((invoice: any) => invoice.id),
      paid.map((invoice) => invoice.id)
    )
    assert.isTrue(data.every((invoice: any) => invoice.status === 'paid'))
    assert.equal(meta.total, 2)

    const pending = await client.get('/api/v1/invoices').qs({ status: 'pending' }).loginAs(user)
    assert.equal(pending.body().meta.total, 3)
    const all = await client.get('/api/v1/invoices').loginAs(user)
    assert.equal(all.body().meta.total, 6)
  })

  test('index answers 422 for an unknown status', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await client.get('/api/v1/invoices').qs({ status: 'overdue' }).loginAs(user)

    assertFieldErrors(assert, response, [{ field: 'status', rule: 'enum' }])
  })

  test('index paginates with total, perPage, currentPage and lastPage', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const customer = await ClientFactory.merge({ userId: user.id }).create()
    const invoices = await InvoiceFactory.merge({
      userId: user.id,
      clientId: customer.id,
    }).createMany(5)

    const seen: number[] = []
    for (const [page, size] of [
      [1, 2],
      [2, 2],
      [3, 1],
    ]) {
      const response = await client.get('/api/v1/invoices').qs({ page, perPage: 2 }).loginAs(user)
      response.assertStatus(200)
      assert.deepEqual(response.body().meta, {
        total: 5,
        perPage: 2,
        currentPage: page,
        lastPage: 3,
      })
      assert.lengthOf(response.body().data, size)
      seen.push(...response.body().data.map((invoice: any) => invoice.id))
    }
    assert.sameMembers(
      seen,
      invoices.map((invoice) => invoice.id)
    )

    const beyond = await client.get('/api/v1/invoices').qs({ page: 4, perPage: 2 }).loginAs(user)
    beyond.assertStatus(200)
    assert.deepEqual(beyond.body().data, [])
    assert.equal(beyond.body().meta.currentPage, 4)
  })

  test('index answers 422 for a page or page size out of range', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const cases: [Record<string, unknown>, { field: string; rule: string }][] = [
      [{ page: 0 }, { field: 'page', rule: 'min' }],
      [{ page: 'last' }, { field: 'page', rule: 'number' }],
      [{ perPage: 0 }, { field: 'perPage', rule: 'min' }],
      [{ perPage: 101 }, { field: 'perPage', rule: 'max' }],
      [{ perPage: 2.5 }, { field: 'perPage', rule: 'withoutDecimals' }],
    ]

    for (const [query, expected] of cases) {
      const response = await client.get('/api/v1/invoices').qs(query).loginAs(user)
      assertFieldErrors(assert, response, [expected])
    }
  })

  test('index loads clients, check-ins and relances in one query each, whatever the page size', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    for (let index = 1; index <= 2; index++) {
      await storeInvoice(client, user, { number: `F-${index}`, clientEmail: `c${index}@x.test` })
    }
    const list = () => client.get('/api/v1/invoices').loginAs(user)

    const withTwo = await recordQueries(list)
    for (let index = 3; index <= 8; index++) {
      await storeInvoice(client, user, { number: `F-${index}`, clientEmail: `c${index}@x.test` })
    }
    const { result: page, statements: withEight } = await recordQueries(list)

    withTwo.result.assertStatus(200)
    assert.lengthOf(withTwo.result.body().data, 2)
    page.assertStatus(200)
    assert.lengthOf(page.body().data, 8)
    assert.equal(withEight.length, withTwo.statements.length, withEight.join('\n'))
    for (const table of ['clients', 'checkin_tasks', 'relances']) {
      const touching = withEight.filter((sql) => sql.includes(`"${table}"`))
      assert.lengthOf(touching, 1, `queries on ${table}:\n${touching.join('\n')}`)
    }
  })

  test('index lists each invoice with the same JSON as show', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const invoices = []
    for (let index = 1; index <= 4; index++) {
      invoices.push(
        await storeInvoice(client, user, {
          number: `F-${index}`,
          clientEmail: `c${index}@x.test`,
          ...(index === 1 ? { issuedAt: dueIn(-10) } : {}),
        })
      )
    }
    const [, paid, answered, cancelled] = invoices
    const sentAt = DateTime.now().minus({ hours: 2 })
    await CheckinTask.query().where('invoice_id', answered.id).update({
      status: 'answered',
      answer: 'still_pending',
      sent_at: sentAt.toJSDate(),
      answered_at: new Date(),
    })
    await Relance.query()
      .where('invoice_id', answered.id)
      .where('sequence', 1)
      .update({ status: 'sent', sent_at: sentAt.toJSDate() })
    const paying = await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    paying.assertStatus(200)
    const cancelling = await client.post(`/api/v1/invoices/${cancelled.id}/cancel`).loginAs(user)
    cancelling.assertStatus(200)

    const list = await client.get('/api/v1/invoices').loginAs(user)

    list.assertStatus(200)
    assert.lengthOf(list.body().data, 4)
    for (const invoice of list.body().data) {
      const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(user)
      assert.deepEqual(invoice, shown.body().data)
    }
  })

  test('index answers 401 without a token', async ({ client, assert }) => {
    assertErrorBody(assert, await client.get('/api/v1/invoices'), 401)
  })
})

test.group('Invoices / show', (group) => {
  group.each.setup(() => resetState())

  test('show answers the invoice with its client, check-in and relances in order', async ({
    client,
    assert,
  }) => {
    const { user, invoice: created } = await userWithInvoice(client)

    const response = await client.get(`/api/v1/invoices/${created.id}`).loginAs(user)

    response.assertStatus(200)
    assert.deepEqual(response.body().data, created)
    assert.deepEqual(
      response.body().data.relances.map((relance: any) => relance.sequence),
      [1, 2, 3]
    )
  })

  test('show answers 404 for another user’s invoice', async ({ client, assert }) => {
    const { intruder, invoice } = await invoiceAndIntruder(client)

    const response = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(intruder)

    assertErrorBody(assert, response, 404)
    assert.notInclude(JSON.stringify(response.body()), invoice.number)
  })

  test('show answers 404 for an id that does not exist', async ({ client, assert }) => {
    const user = await UserFactory.create()

    assertErrorBody(assert, await client.get('/api/v1/invoices/424242').loginAs(user), 404)
  })

  test('show answers 401 without a token', async ({ client, assert }) => {
    const { invoice } = await userWithInvoice(client)

    assertErrorBody(assert, await client.get(`/api/v1/invoices/${invoice.id}`), 401)
  })
})

test.group('Invoices / update', (group) => {
  group.each.setup(() => resetState())

  test('update changes the number, amount, currency and issue date', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client, { issuedAt: '2026-01-02' })

    const response = await client.patch(`/api/v1/invoices/${invoice.id}`).loginAs(user).json({
      number: 'F-2026-001-bis',
      amountCents: 99_900,
      currency: 'chf',
      issuedAt: '2026-01-05',
    })

    response.assertStatus(200)
    assert.containSubset(response.body().data, {
      id: invoice.id,
      number: 'F-2026-001-bis',
      amountCents: 99_900,
      currency: 'CHF',
      issuedAt: '2026-01-05',
      dueDate: invoice.dueDate,
      status: 'pending',
    })
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.number, 'F-2026-001-bis')
    assert.equal(stored.amountCents, 99_900)
    assert.equal(stored.currency, 'CHF')
  })

  test('update clears the issue date when given null', async ({ client, assert }) => {
    const { user, invoice } = await userWithInvoice(client, { issuedAt: '2026-01-02' })

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({ issuedAt: null })

    response.assertStatus(200)
    assert.isNull(response.body().data.issuedAt)
    const stored = await Invoice.findOrFail(invoice.id)
    assert.isNull(stored.issuedAt)
  })

  test('update without a due date change keeps the check-in and the relance jobs', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    const before = await rowsAndJobs()
    const [task] = await CheckinTask.query().where('invoice_id', invoice.id)

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({ amountCents: 1_000, dueDate: invoice.dueDate })

    response.assertStatus(200)
    assert.deepEqual(response.body().data.checkin, invoice.checkin)
    assert.deepEqual(response.body().data.relances, invoice.relances)
    assert.deepEqual(await rowsAndJobs(), before)
    const tasks = await CheckinTask.query().where('invoice_id', invoice.id)
    assert.deepEqual(
      tasks.map((row) => [row.id, row.status]),
      [[task.id, 'scheduled']]
    )
  })

  test('changing the due date reschedules the check-in: a new scheduled task, the old one cancelled', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client, { dueDate: dueIn(30) })
    const [oldTask] = await CheckinTask.query().where('invoice_id', invoice.id)
    const newDueDate = dueIn(44)

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({ dueDate: newDueDate })

    response.assertStatus(200)
    const body = response.body().data
    assert.equal(body.dueDate, newDueDate)
    assert.equal(body.checkin.status, 'scheduled')
    const checkinAt = inParis(body.checkin.scheduledAt)
    assert.equal(checkinAt.toISODate(), newDueDate)
    assert.equal(checkinAt.hour, 9)

    const tasks = await CheckinTask.query().where('invoice_id', invoice.id).orderBy('id')
    assert.lengthOf(tasks, 2)
    assert.equal(tasks[0].id, oldTask.id)
    assert.equal(tasks[0].status, 'cancelled')
    assert.equal(tasks[1].status, 'scheduled')
    assert.equal(tasks[1].scheduledAt.toMillis(), checkinAt.toMillis())
    assert.notEqual(tasks[1].tokenHash, oldTask.tokenHash)
    assert.deepEqual(await queuedJobIds('checkins'), [`checkin-${tasks[1].id}`])

    // GET shows the same, newly scheduled check-in
    const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(user)
    assert.deepEqual(shown.body().data.checkin, body.checkin)
  })

  test('changing the due date twice still leaves exactly one scheduled check-in', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)

    for (const days of [40, 50, 35]) {
      const response = await client
        .patch(`/api/v1/invoices/${invoice.id}`)
        .loginAs(user)
        .json({ dueDate: dueIn(days) })
      response.assertStatus(200)
      assert.equal(response.body().data.checkin.status, 'scheduled')
      assert.equal(inParis(response.body().data.checkin.scheduledAt).toISODate(), dueIn(days))
    }

    const tasks = await CheckinTask.query().where('invoice_id', invoice.id)
    assert.lengthOf(tasks, 4)
    const scheduled = tasks.filter((task) => task.status === 'scheduled')
    assert.lengthOf(scheduled, 1)
    assert.deepEqual(await queuedJobIds('checkins'), [`checkin-${scheduled[0].id}`])
  })

  test('changing the due date moves the scheduled relances and their jobs', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client, { dueDate: dueIn(30) })
    const before = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')

    // Two weeks later: same weekdays, so every relance moves by exactly 14 days
    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({ dueDate: dueIn(44) })

    response.assertStatus(200)
    const after = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      after.map((relance) => [relance.id, relance.sequence, relance.status]),
      before.map((relance) => [relance.id, relance.sequence, 'scheduled'])
    )
    for (const [index, relance] of after.entries()) {
      const expected = before[index].scheduledAt.setZone(ZONE).plus({ days: 14 })
      assert.equal(relance.scheduledAt.toMillis(), expected.toMillis())
      assert.equal(
        DateTime.fromISO(response.body().data.relances[index].scheduledAt).toMillis(),
        expected.toMillis()
      )
    }

    assert.deepEqual(
      await queuedJobIds('relances'),
      after.map((relance) => `relance-${relance.id}`).sort()
    )
    for (const relance of after) {
      const job = await getQueue('relances').getJob(`relance-${relance.id}`)
      assert.closeTo(job!.timestamp + job!.opts.delay!, relance.scheduledAt.toMillis(), 2_000)
    }
  })

  test('update answers 409 for a number another invoice of the user has', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await storeInvoice(client, user, { number: 'F-1' })
    const second = await storeInvoice(client, user, { number: 'F-2' })

    const response = await client
      .patch(`/api/v1/invoices/${second.id}`)
      .loginAs(user)
      .json({ number: 'F-1', amountCents: 1 })

    assertErrorBody(assert, response, 409)
    const stored = await Invoice.findOrFail(second.id)
    assert.equal(stored.number, 'F-2')
    assert.equal(stored.amountCents, 150_000)
  })

  test('update accepts the invoice’s own number', async ({ client }) => {
    const { user, invoice } = await userWithInvoice(client, { number: 'F-1' })

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({ number: 'F-1', amountCents: 1 })

    response.assertStatus(200)
    response.assertBodyContains({ data: { number: 'F-1', amountCents: 1 } })
  })

  test('update answers 422 naming each invalid field, and changes nothing', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    const before = await rowsAndJobs()

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(user)
      .json({
        amountCents: 0,
        dueDate: '2026-02-30',
        currency: 'EURO',
        number: 'x'.repeat(51),
      })

    assertFieldErrors(assert, response, [
      { field: 'amountCents', rule: 'positive' },
      { field: 'dueDate', rule: 'date' },
      { field: 'currency', rule: 'regex' },
      { field: 'number', rule: 'maxLength' },
    ])
    assert.deepEqual(await rowsAndJobs(), before)
    const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(user)
    assert.deepEqual(shown.body().data, invoice)
  })

  test('update answers 404 for another user’s invoice and leaves it alone', async ({
    client,
    assert,
  }) => {
    const { owner, intruder, invoice } = await invoiceAndIntruder(client)
    const before = await rowsAndJobs()

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .loginAs(intruder)
      .json({ amountCents: 1, dueDate: dueIn(60) })

    assertErrorBody(assert, response, 404)
    assert.deepEqual(await rowsAndJobs(), before)
    const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(owner)
    assert.deepEqual(shown.body().data, invoice)
  })

  test('update answers 404 for an id that does not exist', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await client
      .patch('/api/v1/invoices/424242')
      .loginAs(user)
      .json({ amountCents: 1 })

    assertErrorBody(assert, response, 404)
  })

  test('update answers 401 without a token', async ({ client, assert }) => {
    const { invoice } = await userWithInvoice(client)

    const response = await client.patch(`/api/v1/invoices/${invoice.id}`).json({ amountCents: 1 })

    assertErrorBody(assert, response, 401)
    const stored = await Invoice.findOrFail(invoice.id)
    assert.equal(stored.amountCents, 150_000)
  })
})
