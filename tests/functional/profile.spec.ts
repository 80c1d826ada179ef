import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import type { ApiResponse } from '@japa/api-client'
import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'

function assertErrorBody(assert: Assert, response: ApiResponse, status: number) {
  response.assertStatus(status)
  const body = response.body()
  assert.deepEqual(Object.keys(body), ['errors'])
  assert.isAbove(body.errors.length, 0)
  for (const error of body.errors) {
    assert.isString(error.message)
    assert.includeMembers(['message', 'field', 'rule'], Object.keys(error))
  }
  return body.errors as { message: string; field?: string; rule?: string }[]
}

function assertFieldErrors(
  assert: Assert,
  response: ApiResponse,
  expected: { field: string; rule: string }[]
) {
  const errors = assertErrorBody(assert, response, 422)
  for (const { field, rule } of expected) {
    assert.isTrue(
      errors.some((error) => error.field === field && error.rule === rule),
      `expected an error on ${field} (${rule}), got ${JSON.stringify(errors)}`
    )
  }
}

/** The profile columns a refused PATCH must leave alone. */
async function profileOf(user: User) {
  const fresh = await User.findOrFail(user.id)
  return {
    fullName: fresh.fullName,
    timezone: fresh.timezone,
    locale: fresh.locale,
    relanceOffsets: fresh.relanceOffsets,
    rubis: fresh.rubis,
    email: fresh.email,
  }
}

test.group('Profile', (group) => {
  group.each.setup(() => resetState())

  test('GET /me returns the signed-in user with rubis and without the password', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      email: 'grace@example.com',
      fullName: 'Grace Hopper',
      rubis: 4,
    }).create()

    const response = await client.get('/api/v1/me').loginAs(user)

    response.assertStatus(200)
    const body = response.body().data
    assert.deepEqual(
      { ...body, createdAt: undefined },
      {
        id: user.id,
        email: 'grace@example.com',
        fullName: 'Grace Hopper',
        rubis: 4,
        timezone: 'Europe/Paris',
        locale: 'fr',
        relanceOffsets: [3, 10, 20],
        createdAt: undefined,
      }
    )
    assert.isTrue(DateTime.fromISO(body.createdAt).isValid)
    assert.notInclude(JSON.stringify(response.body()), user.password)
  })

  test('GET /me answers 401 without a token', async ({ client, assert }) => {
    assertErrorBody(assert, await client.get('/api/v1/me'), 401)
  })

  test('PATCH /me updates the name, time zone, locale and relance offsets', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({
        fullName: '  Grace B. Hopper ',
        timezone: 'America/New_York',
        locale: 'en',
        relanceOffsets: [2, 7, 30, 60],
      })

    response.assertStatus(200)
    assert.containSubset(response.body().data, {
      id: user.id,
      fullName: 'Grace B. Hopper',
      timezone: 'America/New_York',
      locale: 'en',
      relanceOffsets: [2, 7, 30, 60],
      rubis: 0,
    })
    assert.containSubset(await profileOf(user), {
      fullName: 'Grace B. Hopper',
      timezone: 'America/New_York',
      locale: 'en',
      relanceOffsets: [2, 7, 30, 60],
    })
    const me = await client.get('/api/v1/me').loginAs(user)
    assert.equal(me.body().data.timezone, 'America/New_York')
  })

  test('PATCH /me changes only the fields it is given', async ({ client, assert }) => {
    const user = await UserFactory.merge({ fullName: 'Grace Hopper', locale: 'fr' }).create()
    const before = await profileOf(user)

    const response = await client.patch('/api/v1/me').loginAs(user).json({ locale: 'en' })

    response.assertStatus(200)
    assert.deepEqual(await profileOf(user), { ...before, locale: 'en' })
  })

  test('PATCH /me ignores email and rubis: they are not part of the profile', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({ email: 'grace@example.com' }).create()
    const before = await profileOf(user)

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ rubis: 1000, email: 'mallory@example.com', password: 'hijacked-password' })

    response.assertStatus(200)
    assert.deepEqual(await profileOf(user), before)
    assert.equal(response.body().data.rubis, 0)
    const stored = await User.findOrFail(user.id)
    assert.isTrue(await hash.verify(stored.password, 'secret-password'))
  })

  test('PATCH /me refuses a time zone that is not IANA with 422', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await profileOf(user)

    for (const timezone of ['Mars/Olympus', 'GMT+25', 'Paris']) {
      const response = await client.patch('/api/v1/me').loginAs(user).json({ timezone })
      assertFieldErrors(assert, response, [{ field: 'timezone', rule: 'timezone' }])
    }
    assert.deepEqual(await profileOf(user), before)
  })

  test('PATCH /me accepts only the fr and en locales', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await profileOf(user)

    const response = await client.patch('/api/v1/me').loginAs(user).json({ locale: 'de' })

    assertFieldErrors(assert, response, [{ field: 'locale', rule: 'enum' }])
    assert.deepEqual(await profileOf(user), before)
  })

  test('PATCH /me refuses relance offsets outside whole days 1 to 365', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const before = await profileOf(user)
    const cases: [unknown, { field: string; rule: string }][] = [
      [[0, 10], { field: 'relanceOffsets.0', rule: 'min' }],
      [[3, 366], { field: 'relanceOffsets.1', rule: 'max' }],
      [[-1], { field: 'relanceOffsets.0', rule: 'min' }],
      [[1.5], { field: 'relanceOffsets.0', rule: 'withoutDecimals' }],
      [['soon'], { field: 'relanceOffsets.0', rule: 'number' }],
      ['3,10,20', { field: 'relanceOffsets', rule: 'array' }],
      [[], { field: 'relanceOffsets', rule: 'array.minLength' }],
      [[3, 3], { field: 'relanceOffsets', rule: 'distinct' }],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], { field: 'relanceOffsets', rule: 'array.maxLength' }],
    ]

    for (const [relanceOffsets, expected] of cases) {
      const response = await client.patch('/api/v1/me').loginAs(user).json({ relanceOffsets })
      assertFieldErrors(assert, response, [expected])
    }
    assert.deepEqual(await profileOf(user), before)
  })

  test('PATCH /me accepts the bounds 1 and 365 as relance offsets', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ relanceOffsets: [1, 365] })

    response.assertStatus(200)
    const profile = await profileOf(user)
    assert.deepEqual(profile.relanceOffsets, [1, 365])
  })

  test('PATCH /me never stores a blank name', async ({ client, assert }) => {
    const user = await UserFactory.merge({ fullName: 'Grace Hopper' }).create()
    const before = await profileOf(user)

    // The body parser trims strings and turns blank ones into null, which
    // an optional field treats as absent: the name is left as it was.
    for (const fullName of ['', '   ', null]) {
      const response = await client.patch('/api/v1/me').loginAs(user).json({ fullName })
      assert.oneOf(response.status(), [200, 422])
      if (response.status() === 200) assert.equal(response.body().data.fullName, 'Grace Hopper')
    }
    assert.deepEqual(await profileOf(user), before)
  })

  test('PATCH /me refuses a name longer than 200 characters', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await profileOf(user)

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ fullName: 'a'.repeat(201) })

    assertFieldErrors(assert, response, [{ field: 'fullName', rule: 'maxLength' }])
    assert.deepEqual(await profileOf(user), before)
  })

  test('PATCH /me answers 401 without a token', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await profileOf(user)

    assertErrorBody(assert, await client.patch('/api/v1/me').json({ locale: 'en' }), 401)
    assert.deepEqual(await profileOf(user), before)
  })

  test('new invoices follow the relance offsets saved in the profile', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ relanceOffsets: [5, 15] })

    const response = await client
      .post('/api/v1/invoices')
      .loginAs(user)
      .json({
        number: 'F-001',
        clientName: 'Acme',
        clientEmail: 'billing@acme.test',
        amountCents: 12_000,
        dueDate: DateTime.now().plus({ days: 30 }).toISODate(),
      })

    response.assertStatus(201)
    assert.deepEqual(
      response.body().data.relances.map((relance: { sequence: number }) => relance.sequence),
      [1, 2]
    )
  })
})
