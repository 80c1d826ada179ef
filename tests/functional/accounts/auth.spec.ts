import { test } from '@japa/runner'
import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import env from '#start/env'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { login, register, registration } from '#tests/helpers/auth_requests'
import {
  assertErrorBody,
  assertFieldErrors,
  type ExpectedFieldError,
} from '#tests/helpers/api_assertions'

/** Grace signs in with the password UserFactory gives every user. */
const grace = { email: 'grace@example.com', password: 'secret-password' }
const graceWrongPassword = { ...grace, password: 'wrong-password' }

function createGrace() {
  return UserFactory.merge({ email: grace.email }).create()
}

/** A bearer token of `user`'s, as login would issue it. */
async function tokenOf(user: User) {
  const token = await User.accessTokens.create(user)
  return token.value!.release()
}

test.group('Auth', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('register creates an account and answers 201 with the user and a bearer token', async ({
    client,
    assert,
  }) => {
    const response = await register(client, { ...registration, email: '  Ada@Example.COM ' })

    response.assertStatus(201)
    const { user, token } = response.body().data
    assert.containSubset(user, {
      email: 'ada@example.com',
      fullName: 'Ada Lovelace',
      rubis: 0,
      timezone: 'Europe/Paris',
      locale: 'fr',
      relanceOffsets: [3, 10, 20],
    })
    assert.isNumber(user.id)
    assert.isString(token)
    assert.isAbove(token.length, 20)

    const stored = await User.findOrFail(user.id)
    assert.equal(stored.email, 'ada@example.com')
    assert.notEqual(stored.password, 'correct horse battery')
    assert.isTrue(await hash.verify(stored.password, 'correct horse battery'))
  })

  test('register never returns the password nor its hash', async ({ client, assert }) => {
    const response = await register(client)

    response.assertStatus(201)
    const stored = await User.findByOrFail('email', 'ada@example.com')
    const raw = JSON.stringify(response.body())
    assert.notProperty(response.body().data.user, 'password')
    assert.notInclude(raw, 'correct horse battery')
    assert.notInclude(raw, stored.password)
  })

  test('the token returned by register works as a Bearer token', async ({ client, assert }) => {
    const registered = await register(client)
    const { user, token } = registered.body().data

    const me = await client.get('/api/v1/me').bearerToken(token)

    me.assertStatus(200)
    assert.equal(me.body().data.id, user.id)
    assert.equal(me.body().data.email, 'ada@example.com')
  })

  test('register refuses an email already used in another case with 409', async ({
    client,
    assert,
  }) => {
    const first = await register(client, { ...registration, email: 'ada@x.com' })
    first.assertStatus(201)

    const second = await register(client, {
      fullName: 'Another Ada',
      email: 'Ada@x.com',
      password: 'another password',
    })

    assertErrorBody(assert, second, 409)
    assert.equal(await countRows('users'), 1)
    const stored = await User.findByOrFail('email', 'ada@x.com')
    assert.equal(stored.fullName, 'Ada Lovelace')
  })

  test('register answers 422 {title}')
    .with<{ title: string; body: Record<string, unknown>; errors: ExpectedFieldError[] }[]>([
      {
        title: 'naming each invalid field',
        body: { fullName: '', email: 'not-an-email', password: 'short' },
        errors: [
          { field: 'fullName', rule: 'required' },
          { field: 'email', rule: 'email' },
          { field: 'password', rule: 'minLength' },
        ],
      },
      {
        title: 'when the body is empty',
        body: {},
        errors: [
          { field: 'fullName', rule: 'required' },
          { field: 'email', rule: 'required' },
          { field: 'password', rule: 'required' },
        ],
      },
    ])
    .run(async ({ client, assert }, { body, errors }) => {
      assertFieldErrors(assert, await register(client, body), errors)
      assert.equal(await countRows('users'), 0)
    })

  test('login answers 200 with the user and a token that works as Bearer', async ({
    client,
    assert,
  }) => {
    const user = await createGrace()

    const response = await login(client, { ...grace, email: 'Grace@Example.com' })

    response.assertStatus(200)
    const { user: body, token } = response.body().data
    assert.equal(body.id, user.id)
    assert.equal(body.email, 'grace@example.com')
    assert.notProperty(body, 'password')
    assert.notInclude(JSON.stringify(response.body()), user.password)

    const me = await client.get('/api/v1/me').bearerToken(token)
    me.assertStatus(200)
    assert.equal(me.body().data.id, user.id)
  })

  test('login with a wrong password answers 401 and issues no token', async ({
    client,
    assert,
  }) => {
    await createGrace()

    const response = await login(client, graceWrongPassword)

    const errors = assertErrorBody(assert, response, 401)
    assert.notProperty(response.body(), 'data')
    assert.isString(errors[0].message)
    assert.equal(await countRows('auth_access_tokens'), 0)
  })

  test('login with an unknown email answers the same 401 as a wrong password', async ({
    client,
    assert,
  }) => {
    await createGrace()

    const wrongPassword = await login(client, graceWrongPassword)
    const unknownEmail = await login(client, { ...grace, email: 'nobody@example.com' })

    assertErrorBody(assert, unknownEmail, 401)
    assert.deepEqual(unknownEmail.body(), wrongPassword.body())
  })

  test('login answers 422 naming the missing fields', async ({ client, assert }) => {
    const response = await login(client, { email: 'not-an-email' })

    assertFieldErrors(assert, response, [
      { field: 'email', rule: 'email' },
      { field: 'password', rule: 'required' },
    ])
  })

  test('logout answers 204 and the token is rejected afterwards', async ({ client, assert }) => {
    await createGrace()
    const signedIn = await login(client, grace)
    const token = signedIn.body().data.token as string
    const before = await client.get('/api/v1/me').bearerToken(token)
    before.assertStatus(200)

    const logout = await client.post('/api/v1/auth/logout').bearerToken(token)

    logout.assertStatus(204)
    assert.isEmpty(logout.text())
    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(token), 401)
    assertErrorBody(assert, await client.post('/api/v1/auth/logout').bearerToken(token), 401)
  })

  test('logout revokes only the token it was called with', async ({ client, assert }) => {
    await createGrace()
    const laptopLogin = await login(client, grace)
    const phoneLogin = await login(client, grace)
    const laptop = laptopLogin.body().data.token
    const phone = phoneLogin.body().data.token

    const logout = await client.post('/api/v1/auth/logout').bearerToken(laptop)

    logout.assertStatus(204)
    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(laptop), 401)
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(phone)
    stillSignedIn.assertStatus(200)
  })

  test('logout with all: true revokes every token of the user, and only theirs', async ({
    client,
    assert,
  }) => {
    const user = await createGrace()
    const tokens = [await tokenOf(user), await tokenOf(user), await tokenOf(user)]
    const otherToken = await tokenOf(await UserFactory.create())

    const logout = await client
      .post('/api/v1/auth/logout')
      .bearerToken(tokens[0])
      .json({ all: true })

    logout.assertStatus(204)
    for (const token of tokens) {
      assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(token), 401)
    }
    assert.equal(await countRows('auth_access_tokens', { tokenable_id: user.id }), 0)
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(otherToken)
    stillSignedIn.assertStatus(200)
  })

  test('logout with all: false revokes only the token it was called with', async ({
    client,
    assert,
  }) => {
    const user = await createGrace()
    const laptop = await tokenOf(user)
    const phone = await tokenOf(user)

    const logout = await client.post('/api/v1/auth/logout').bearerToken(laptop).json({ all: false })

    logout.assertStatus(204)
    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(laptop), 401)
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(phone)
    stillSignedIn.assertStatus(200)
  })

  test('logout answers 422 naming all when it is not a boolean, and revokes nothing', async ({
    client,
    assert,
  }) => {
    const token = await tokenOf(await createGrace())

    for (const all of ['true', 1, 'yes', {}, []]) {
      const response = await client.post('/api/v1/auth/logout').bearerToken(token).json({ all })
      assertFieldErrors(assert, response, [{ field: 'all', rule: 'boolean' }])
    }
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(token)
    stillSignedIn.assertStatus(200)
  })

  test('register and login issue tokens that expire AUTH_TOKEN_TTL_DAYS after they are issued', async ({
    client,
    assert,
  }) => {
    const days = env.get('AUTH_TOKEN_TTL_DAYS')
    const registered = await register(client)
    registered.assertStatus(201)
    const signedIn = await login(client, {
      email: registration.email,
      password: registration.password,
    })
    signedIn.assertStatus(200)

    const tokens: { expires_at: Date | null }[] = await db
      .from('auth_access_tokens')
      .select('expires_at')
    assert.lengthOf(tokens, 2)
    const expected = DateTime.now().plus({ days })
    for (const { expires_at: expiresAt } of tokens) {
      assert.isNotNull(expiresAt)
      const drift = Math.abs(DateTime.fromJSDate(expiresAt!).diff(expected).as('seconds'))
      assert.isBelow(drift, 60, `expires at ${expiresAt?.toISOString()}`)
    }
  })

  test('an expired token answers 401 everywhere, while a fresh one of the same user works', async ({
    client,
    assert,
  }) => {
    const user = await createGrace()
    const expired = await User.accessTokens.create(user)
    const fresh = await tokenOf(user)
    await db
      .from('auth_access_tokens')
      .where('id', String(expired.identifier))
      .update({ expires_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })
    const token = expired.value!.release()

    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(token), 401)
    assertErrorBody(assert, await client.get('/api/v1/invoices').bearerToken(token), 401)
    assertErrorBody(assert, await client.post('/api/v1/auth/logout').bearerToken(token), 401)
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(fresh)
    stillSignedIn.assertStatus(200)
  })

  test('logout without a token answers 401', async ({ client, assert }) => {
    assertErrorBody(assert, await client.post('/api/v1/auth/logout'), 401)
  })

  test('a malformed or unknown bearer token answers 401', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const requests = [
      client.get('/api/v1/me').bearerToken('garbage'),
      client.get('/api/v1/me').bearerToken(`oat_${'A'.repeat(60)}`),
      client.get('/api/v1/me').header('authorization', `Basic ${user.email}`),
    ]
    for (const request of requests) {
      assertErrorBody(assert, await request, 401)
    }
  })

  test('login is rate limited per client IP: the attempt after the limit answers 429 with Retry-After', async ({
    client,
    assert,
  }) => {
    const limit = env.get('RATE_LIMIT_AUTH_PER_MINUTE')
    await createGrace()
    // Requests come from loopback, whose X-Forwarded-For AdonisJS trusts:
    // this test's attempts count against an address of their own.
    const attacker = '203.0.113.7'
    const attempt = () => login(client, graceWrongPassword).header('x-forwarded-for', attacker)

    for (let index = 0; index < limit; index++) {
      const response = await attempt()
      assert.equal(response.status(), 401, `attempt ${index + 1} of ${limit}`)
    }

    const limited = await attempt()

    assertErrorBody(assert, limited, 429)
    const retryAfter = Number(limited.header('retry-after'))
    assert.isTrue(Number.isInteger(retryAfter), 'Retry-After is a number of seconds')
    assert.isAbove(retryAfter, 0)
    assert.isAtMost(retryAfter, 60)

    // Even the right password is refused while limited
    const rightPassword = await login(client, grace).header('x-forwarded-for', attacker)
    assertErrorBody(assert, rightPassword, 429)

    // Another client IP is not affected
    const elsewhere = await login(client, grace).header('x-forwarded-for', '198.51.100.20')
    elsewhere.assertStatus(200)
  })

  test('register counts against the same auth rate limit as login', async ({ client, assert }) => {
    const limit = env.get('RATE_LIMIT_AUTH_PER_MINUTE')
    const address = '203.0.113.8'

    for (let index = 0; index < limit; index++) {
      const response = await login(client, {
        email: 'nobody@example.com',
        password: 'wrong-password',
      }).header('x-forwarded-for', address)
      assert.equal(response.status(), 401)
    }

    const registered = await register(client, { ...registration, fullName: 'Ada' }).header(
      'x-forwarded-for',
      address
    )

    assertErrorBody(assert, registered, 429)
    assert.isNotEmpty(registered.header('retry-after'))
    assert.equal(await countRows('users'), 0)
  })
})
