import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'
import {
  assertErrorBody,
  assertFieldErrors,
  type ExpectedFieldError,
} from '#tests/helpers/api_assertions'
import { postInvoice } from '#tests/helpers/invoice_requests'

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
        emailVerifiedAt: user.emailVerifiedAt!.toISO(),
        checkinBeforeEachRelance: true,
        paymentInstructions: null,
        latePenaltyRate: null,
        thankClientsOnPayment: true,
        iban: null,
        bic: null,
        accountHolder: 'Grace Hopper',
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

  test('PATCH /me sets the payment instructions, the late-payment rate and the thank-you switch', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const response = await client.patch('/api/v1/me').loginAs(user).json({
      paymentInstructions: ' IBAN FR76 3000 6000 0112\nBIC AGRIFRPP ',
      latePenaltyRate: 11.62,
      thankClientsOnPayment: false,
    })

    response.assertStatus(200)
    assert.containSubset(response.body().data, {
      paymentInstructions: 'IBAN FR76 3000 6000 0112\nBIC AGRIFRPP',
      latePenaltyRate: 11.62,
      thankClientsOnPayment: false,
    })
    const me = await client.get('/api/v1/me').loginAs(user)
    assert.equal(me.body().data.latePenaltyRate, 11.62)

    const cleared = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ paymentInstructions: null, latePenaltyRate: null })
    assert.containSubset(cleared.body().data, { paymentInstructions: null, latePenaltyRate: null })
  })

  test('PATCH /me refuses a rate outside 0–100 or with three decimals, and instructions past 1,000 characters', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const cases: [Record<string, unknown>, string][] = [
      [{ latePenaltyRate: -1 }, 'latePenaltyRate'],
      [{ latePenaltyRate: 100.01 }, 'latePenaltyRate'],
      [{ latePenaltyRate: 10.125 }, 'latePenaltyRate'],
      [{ latePenaltyRate: '10' }, 'latePenaltyRate'],
      [{ paymentInstructions: 'x'.repeat(1_001) }, 'paymentInstructions'],
      [{ thankClientsOnPayment: 'yes' }, 'thankClientsOnPayment'],
    ]
    for (const [body, field] of cases) {
      const response = await client.patch('/api/v1/me').loginAs(user).json(body)
      assertFieldErrors(assert, response, [{ field }])
    }
    const bounds = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ latePenaltyRate: 100, paymentInstructions: 'x'.repeat(1_000) })
    bounds.assertStatus(200)
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

  /** Each value of the profile field is refused with 422, and the profile is left as it was. */
  test('PATCH /me {title}')
    .with<{ title: string; key: string; cases: [unknown, ExpectedFieldError][] }[]>([
      {
        title: 'refuses a time zone that is not IANA with 422',
        key: 'timezone',
        cases: ['Mars/Olympus', 'GMT+25', 'Paris'].map((timezone) => [
          timezone,
          { field: 'timezone', rule: 'timezone' },
        ]),
      },
      {
        title: 'accepts only the fr and en locales',
        key: 'locale',
        cases: [['de', { field: 'locale', rule: 'enum' }]],
      },
      {
        title: 'refuses relance offsets outside whole days 1 to 365',
        key: 'relanceOffsets',
        cases: [
          [[0, 10], { field: 'relanceOffsets.0', rule: 'min' }],
          [[3, 366], { field: 'relanceOffsets.1', rule: 'max' }],
          [[-1], { field: 'relanceOffsets.0', rule: 'min' }],
          [[1.5], { field: 'relanceOffsets.0', rule: 'withoutDecimals' }],
          [['soon'], { field: 'relanceOffsets.0', rule: 'number' }],
          ['3,10,20', { field: 'relanceOffsets', rule: 'array' }],
          [[], { field: 'relanceOffsets', rule: 'array.minLength' }],
          [[3, 3], { field: 'relanceOffsets', rule: 'distinct' }],
          [
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            { field: 'relanceOffsets', rule: 'array.maxLength' },
          ],
        ],
      },
      {
        title: 'takes checkinBeforeEachRelance as a JSON boolean only',
        key: 'checkinBeforeEachRelance',
        cases: [
          ['yes', { field: 'checkinBeforeEachRelance', rule: 'boolean' }],
          [1, { field: 'checkinBeforeEachRelance', rule: 'boolean' }],
        ],
      },
      {
        title: 'refuses a name longer than 200 characters',
        key: 'fullName',
        cases: [['a'.repeat(201), { field: 'fullName', rule: 'maxLength' }]],
      },
    ])
    .run(async ({ client, assert }, { key, cases }) => {
      const user = await UserFactory.create()
      const before = await profileOf(user)

      for (const [value, expected] of cases) {
        const response = await client
          .patch('/api/v1/me')
          .loginAs(user)
          .json({ [key]: value })
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

    const response = await postInvoice(client, user, { number: 'F-001', amountCents: 12_000 })

    response.assertStatus(201)
    assert.deepEqual(
      response.body().data.relances.map((relance: { sequence: number }) => relance.sequence),
      [1, 2]
    )
  })

  test('bank details: an IBAN written with spaces is kept without, a BIC upper-cased; the holder defaults to the full name', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({ fullName: 'Camille Martin' }).create()

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ iban: 'fr76 3000 6000 0112 3456 7890 189', bic: ' agrifrpp ' })

    response.assertStatus(200)
    const data = response.body().data
    assert.equal(data.iban, 'FR7630006000011234567890189')
    assert.equal(data.bic, 'AGRIFRPP')
    assert.equal(data.accountHolder, 'Camille Martin')
    const holder = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ accountHolder: 'Studio Martin SARL' })
    assert.equal(holder.body().data.accountHolder, 'Studio Martin SARL')
    const cleared = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ iban: null, bic: null, accountHolder: null })
    assert.include(cleared.body().data, { iban: null, bic: null, accountHolder: 'Camille Martin' })
  })

  test('a wrong IBAN or BIC is a 422 naming it, and changes nothing: {label}')
    .with([
      { label: 'a wrong checksum', body: { iban: 'FR7630006000011234567890188' } },
      { label: 'a wrong length for the country', body: { iban: 'FR76300060000112345678901' } },
      { label: 'an unknown country', body: { iban: 'XX7630006000011234567890189' } },
      { label: 'letters only', body: { iban: 'IBAN' } },
      { label: 'a BIC of 9 characters', body: { bic: 'AGRIFRPPX' } },
      { label: 'a BIC with a symbol', body: { bic: 'AGRI-RPP' } },
      { label: 'a holder of 71 characters', body: { accountHolder: 'x'.repeat(71) } },
    ])
    .run(async ({ client, assert }, { body }) => {
      const user = await UserFactory.create()
      const before = await profileOf(user)

      const response = await client.patch('/api/v1/me').loginAs(user).json(body)

      assertFieldErrors(assert, response, [{ field: Object.keys(body)[0] }])
      assert.deepEqual(await profileOf(user), before)
    })
})
