import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import type { ApiResponse } from '@japa/api-client'
import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { resetRateLimits, resetState } from '#tests/helpers/state'

/** Every error body is `{errors: [{message, field?, rule?}]}` and nothing else. */
function assertErrorBody(assert: Assert, response: ApiResponse, status: number) {
  response.assertStatus(status)
  const body = response.body()
  assert.deepEqual(Object.keys(body), ['errors'])
  assert.isArray(body.errors)
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

async function userCount() {
  const [{ count }] = await db.from('users').count('* as count')
  return Number(count)
}

test.group('Auth', (group) => {
  group.each.setup(async () => {
    await resetState()
    await resetRateLimits()
  })

  test('register creates an account and answers 201 with the user and a bearer token', async ({
    client,
    assert,
  }) => {
    const response = await client.post('/api/v1/auth/register').json({
      fullName: 'Ada Lovelace',
      email: '  Ada@Example.COM ',
      password: 'correct horse battery',
    })

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
    const response = await client.post('/api/v1/auth/register').json({
      fullName: 'Ada Lovelace',
      email: 'ada@example.com',
      password: 'correct horse battery',
    })

    response.assertStatus(201)
    const stored = await User.findByOrFail('email', 'ada@example.com')
    const raw = JSON.stringify(response.body())
    assert.notProperty(response.body().data.user, 'password')
    assert.notInclude(raw, 'correct horse battery')
    assert.notInclude(raw, stored.password)
  })

  test('the token returned by register works as a Bearer token', async ({ client, assert }) => {
    const registered = await client.post('/api/v1/auth/register').json({
      fullName: 'Ada Lovelace',
      email: 'ada@example.com',
      password: 'correct horse battery',
    })
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
    const first = await client.post('/api/v1/auth/register').json({
      fullName: 'Ada Lovelace',
      email: 'ada@x.com',
      password: 'correct horse battery',
    })
    first.assertStatus(201)

    const second = await client.post('/api/v1/auth/register').json({
      fullName: 'Another Ada',
      email: 'Ada@x.com',
      password: 'another password',
    })

    assertErrorBody(assert, second, 409)
    assert.equal(await userCount(), 1)
    const stored = await User.findByOrFail('email', 'ada@x.com')
    assert.equal(stored.fullName, 'Ada Lovelace')
  })

  test('register answers 422 naming each invalid field', async ({ client, assert }) => {
    const response = await client.post('/api/v1/auth/register').json({
      fullName: '',
      email: 'not-an-email',
      password: 'short',
    })

    assertFieldErrors(assert, response, [
      { field: 'fullName', rule: 'required' },
      { field: 'email', rule: 'email' },
      { field: 'password', rule: 'minLength' },
    ])
    assert.equal(await userCount(), 0)
  })

  test('register answers 422 when the body is empty', async ({ client, assert }) => {
    const response = await client.post('/api/v1/auth/register').json({})

    assertFieldErrors(assert, response, [
      { field: 'fullName', rule: 'required' },
      { field: 'email', rule: 'required' },
      { field: 'password', rule: 'required' },
    ])
    assert.equal(await userCount(), 0)
  })

  test('login answers 200 with the user and a token that works as Bearer', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({ email: 'grace@example.com' }).create()

    const response = await client
      .post('/api/v1/auth/login')
      .json({ email: 'Grace@Example.com', password: 'secret-password' })

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
    await UserFactory.merge({ email: 'grace@example.com' }).create()

    const response = await client
      .post('/api/v1/auth/login')
      .json({ email: 'grace@example.com', password: 'wrong-password' })

    const errors = assertErrorBody(assert, response, 401)
    assert.notProperty(response.body(), 'data')
    assert.isString(errors[0].message)
    const [{ count }] = await db.from('auth_access_tokens').count('* as count')
    assert.equal(Number(count), 0)
  })

  test('login with an unknown email answers the same 401 as a wrong password', async ({
    client,
    assert,
  }) => {
    await UserFactory.merge({ email: 'grace@example.com' }).create()

    const wrongPassword = await client
      .post('/api/v1/auth/login')
      .json({ email: 'grace@example.com', password: 'wrong-password' })
    const unknownEmail = await client
      .post('/api/v1/auth/login')
      .json({ email: 'nobody@example.com', password: 'secret-password' })

    assertErrorBody(assert, unknownEmail, 401)
    assert.deepEqual(unknownEmail.body(), wrongPassword.body())
  })

  test('login answers 422 naming the missing fields', async ({ client, assert }) => {
    const response = await client.post('/api/v1/auth/login').json({ email: 'not-an-email' })

    assertFieldErrors(assert, response, [
      { field: 'email', rule: 'email' },
      { field: 'password', rule: 'required' },
    ])
  })

  test('logout answers 204 and the token is rejected afterwards', async ({ client, assert }) => {
    await UserFactory.merge({ email: 'grace@example.com' }).create()
    const login = await client
      .post('/api/v1/auth/login')
      .json({ email: 'grace@example.com', password: 'secret-password' })
    const token = login.body().data.token as string
    const before = await client.get('/api/v1/me').bearerToken(token)
    before.assertStatus(200)

    const logout = await client.post('/api/v1/auth/logout').bearerToken(token)

    logout.assertStatus(204)
    assert.isEmpty(logout.text())
    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(token), 401)
    assertErrorBody(assert, await client.post('/api/v1/auth/logout').bearerToken(token), 401)
  })

  test('logout revokes only the token it was called with', async ({ client, assert }) => {
    await UserFactory.merge({ email: 'grace@example.com' }).create()
    const credentials = { email: 'grace@example.com', password: 'secret-password' }
    const laptopLogin = await client.post('/api/v1/auth/login').json(credentials)
    const phoneLogin = await client.post('/api/v1/auth/login').json(credentials)
    const laptop = laptopLogin.body().data.token
    const phone = phoneLogin.body().data.token

    const logout = await client.post('/api/v1/auth/logout').bearerToken(laptop)

    logout.assertStatus(204)
    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken(laptop), 401)
    const stillSignedIn = await client.get('/api/v1/me').bearerToken(phone)
    stillSignedIn.assertStatus(200)
  })

  test('logout without a token answers 401', async ({ client, assert }) => {
    assertErrorBody(assert, await client.post('/api/v1/auth/logout'), 401)
  })

  test('a malformed or unknown bearer token answers 401', async ({ client, assert }) => {
    const user = await UserFactory.create()

    assertErrorBody(assert, await client.get('/api/v1/me').bearerToken('garbage'), 401)
    assertErrorBody(
      assert,
      await client.get('/api/v1/me').bearerToken(`oat_${'A'.repeat(60)}`),
      401
    )
    assertErrorBody(
      assert,
      await client.get('/api/v1/me').header('authorization', `Basic ${user.email}`),
      401
    )
  })

  test('login is rate limited per client IP: the attempt after the limit answers 429 with Retry-After', async ({
    client,
    assert,
  }) => {
    const limit = env.get('RATE_LIMIT_AUTH_PER_MINUTE')
    await UserFactory.merge({ email: 'grace@example.com' }).create()
    // Requests come from loopback, whose X-Forwarded-For AdonisJS trusts:
    // this test's attempts count against an address of their own.
    const attacker = '203.0.113.7'
    const attempt = () =>
      client
        .post('/api/v1/auth/login')
        .header('x-forwarded-for', attacker)
        .json({ email: 'grace@example.com', password: 'wrong-password' })

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
    const rightPassword = await client
      .post('/api/v1/auth/login')
      .header('x-forwarded-for', attacker)
      .json({ email: 'grace@example.com', password: 'secret-password' })
    assertErrorBody(assert, rightPassword, 429)

    // Another client IP is not affected
    const elsewhere = await client
      .post('/api/v1/auth/login')
      .header('x-forwarded-for', '198.51.100.20')
      .json({ email: 'grace@example.com', password: 'secret-password' })
    elsewhere.assertStatus(200)
  })

  test('register counts against the same auth rate limit as login', async ({ client, assert }) => {
    const limit = env.get('RATE_LIMIT_AUTH_PER_MINUTE')
    const address = '203.0.113.8'

    for (let index = 0; index < limit; index++) {
      const response = await client
        .post('/api/v1/auth/login')
        .header('x-forwarded-for', address)
        .json({ email: 'nobody@example.com', password: 'wrong-password' })
      assert.equal(response.status(), 401)
    }

    const register = await client
      .post('/api/v1/auth/register')
      .header('x-forwarded-for', address)
      .json({ fullName: 'Ada', email: 'ada@example.com', password: 'correct horse battery' })

    assertErrorBody(assert, register, 429)
    assert.isNotEmpty(register.header('retry-after'))
    assert.equal(await userCount(), 0)
  })
})
