import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import type User from '#models/user'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'
import { assertEmptyPage, assertErrorBody, assertFieldErrors } from '#tests/helpers/api_assertions'
import { storeInvoice } from '#tests/helpers/invoice_requests'

/** `count` events for the user, one minute apart, the last one newest. */
async function seedEvents(user: User, count: number, label = 'Event') {
  const start = DateTime.now().minus({ days: 1 })
  return ActivityEvent.createMany(
    Array.from({ length: count }, (_, index) => ({
      userId: user.id,
      type: 'invoice_created' as const,
      label: `${label} ${index + 1}`,
      metadata: { index: index + 1 },
      createdAt: start.plus({ minutes: index }),
    }))
  )
}

test.group('Activity', (group) => {
  group.each.setup(() => resetState())

  test('activity lists what happened to the user’s invoices, newest first', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const first = await storeInvoice(client, user, { number: 'F-1', amountCents: 10_000 })
    const second = await storeInvoice(client, user, { number: 'F-2', amountCents: 10_000 })
    await client.post(`/api/v1/invoices/${first.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${second.id}/cancel`).loginAs(user)

    const response = await client.get('/api/v1/activity').loginAs(user)

    response.assertStatus(200)
    const { data, meta } = response.body()
    assert.deepEqual(
      data.map((event: any) => [event.type, event.invoiceId]),
      [
        ['invoice_cancelled', second.id],
        ['invoice_paid', first.id],
        ['invoice_created', second.id],
        ['invoice_created', first.id],
      ]
    )
    assert.deepEqual(meta, { total: 4, perPage: 20, currentPage: 1, lastPage: 1 })
    const paid = data[1]
    assert.sameMembers(Object.keys(paid), [
      'id',
      'type',
      'label',
      'invoiceId',
      'metadata',
      'createdAt',
    ])
    assert.isString(paid.label)
    assert.include(paid.label, 'F-1')
    assert.containSubset(paid.metadata, { via: 'manual', amountCents: 10_000 })
    assert.isTrue(DateTime.fromISO(paid.createdAt).isValid)
  })

  test('activity orders by the time of each event, not by insertion', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const now = DateTime.now()
    for (const [label, minutesAgo] of [
      ['middle', 20],
      ['newest', 5],
      ['oldest', 60],
    ] as const) {
      await ActivityEvent.create({
        userId: user.id,
        type: 'invoice_created',
        label,
        metadata: {},
        createdAt: now.minus({ minutes: minutesAgo }),
      })
    }

    const response = await client.get('/api/v1/activity').loginAs(user)

    response.assertStatus(200)
    assert.deepEqual(
      response.body().data.map((event: any) => event.label),
      ['newest', 'middle', 'oldest']
    )
  })

  test('activity is paginated 20 per page by default', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seedEvents(user, 25)

    const first = await client.get('/api/v1/activity').loginAs(user)
    const second = await client.get('/api/v1/activity').qs({ page: 2 }).loginAs(user)

    first.assertStatus(200)
    assert.deepEqual(first.body().meta, { total: 25, perPage: 20, currentPage: 1, lastPage: 2 })
    assert.lengthOf(first.body().data, 20)
    assert.equal(first.body().data[0].label, 'Event 25')
    assert.equal(first.body().data[19].label, 'Event 6')
    second.assertStatus(200)
    assert.deepEqual(second.body().meta, { total: 25, perPage: 20, currentPage: 2, lastPage: 2 })
    assert.deepEqual(
      second.body().data.map((event: any) => event.label),
      ['Event 5', 'Event 4', 'Event 3', 'Event 2', 'Event 1']
    )
  })

  test('activity honours perPage', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seedEvents(user, 25)

    const response = await client.get('/api/v1/activity').qs({ page: 3, perPage: 10 }).loginAs(user)

    response.assertStatus(200)
    assert.deepEqual(response.body().meta, {
      total: 25,
      perPage: 10,
      currentPage: 3,
      lastPage: 3,
    })
    assert.lengthOf(response.body().data, 5)
  })

  test('activity shows only the user’s own events', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    await seedEvents(user, 3, 'Mine')
    await seedEvents(other, 4, 'Theirs')

    const response = await client.get('/api/v1/activity').loginAs(user)

    response.assertStatus(200)
    assert.equal(response.body().meta.total, 3)
    assert.deepEqual(
      response.body().data.map((event: any) => event.label),
      ['Mine 3', 'Mine 2', 'Mine 1']
    )
  })

  test('activity answers an empty page for a user with no history', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seedEvents(await UserFactory.create(), 2)

    assertEmptyPage(assert, await client.get('/api/v1/activity').loginAs(user))
  })

  test('activity answers 422 for a page or page size out of range', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const cases: [Record<string, unknown>, { field: string; rule: string }][] = [
      [{ page: 0 }, { field: 'page', rule: 'min' }],
      [{ page: 'next' }, { field: 'page', rule: 'number' }],
      [{ perPage: 1000 }, { field: 'perPage', rule: 'max' }],
    ]

    for (const [query, expected] of cases) {
      const response = await client.get('/api/v1/activity').qs(query).loginAs(user)
      assertFieldErrors(assert, response, [expected])
    }
  })

  test('activity answers 401 without a token', async ({ client, assert }) => {
    assertErrorBody(assert, await client.get('/api/v1/activity'), 401)
  })
})
