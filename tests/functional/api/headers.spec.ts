import { test } from '@japa/runner'
import { request as httpRequest } from 'node:http'
import env from '#start/env'
import { UserFactory } from '#database/factories/user_factory'

const SPA = new URL(env.get('WEB_URL')).origin
const PREVIEW = 'https://preview.relance.test'
const ELSEWHERE = 'https://evil.example'

test.group('Browsers: CORS', () => {
  test('a preflight from the SPA is allowed: Authorization and Content-Type, no credentials, cached', async ({
    client,
    assert,
  }) => {
    const response = await client
      .options('/api/v1/invoices')
      .header('origin', SPA)
      .header('access-control-request-method', 'POST')
      .header('access-control-request-headers', 'authorization,content-type')

    response.assertStatus(204)
    assert.equal(response.header('access-control-allow-origin'), SPA)
    assert.sameMembers(String(response.header('access-control-allow-headers')).split(','), [
      'authorization',
      'content-type',
    ])
    assert.include(String(response.header('access-control-allow-methods')).split(','), 'PATCH')
    assert.equal(response.header('access-control-max-age'), '7200')
    assert.isUndefined(response.header('access-control-allow-credentials'))
    assert.equal(response.header('x-content-type-options'), 'nosniff')
  })

  test('the origins of CORS_ORIGINS are allowed too', async ({ client, assert }) => {
    const response = await client
      .options('/api/v1/me')
      .header('origin', PREVIEW)
      .header('access-control-request-method', 'GET')
      .header('access-control-request-headers', 'authorization')

    response.assertStatus(204)
    assert.equal(response.header('access-control-allow-origin'), PREVIEW)
  })

  test('another origin, or a header the API does not take, gets no Access-Control-Allow-Origin', async ({
    client,
    assert,
  }) => {
    const elsewhere = await client
      .options('/api/v1/invoices')
      .header('origin', ELSEWHERE)
      .header('access-control-request-method', 'GET')
      .header('access-control-request-headers', 'authorization')
    const extraHeader = await client
      .options('/api/v1/invoices')
      .header('origin', SPA)
      .header('access-control-request-method', 'GET')
      .header('access-control-request-headers', 'authorization,x-custom')
    const lookalike = await client.get('/api/v1/health').header('origin', `${SPA}.evil.example`)

    for (const response of [elsewhere, extraHeader, lookalike]) {
      assert.isUndefined(response.header('access-control-allow-origin'))
    }
  })

  test('actual requests carry the allowed origin, for the SPA only', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const fromSpa = await client.get('/api/v1/me').header('origin', SPA).loginAs(user)
    const fromElsewhere = await client.get('/api/v1/me').header('origin', ELSEWHERE).loginAs(user)

    fromSpa.assertStatus(200)
    assert.equal(fromSpa.header('access-control-allow-origin'), SPA)
    assert.include(fromSpa.header('vary'), 'Origin')
    assert.isUndefined(fromElsewhere.header('access-control-allow-origin'))
  })
})

/** A raw request: some answers (a path that does not decode) never reach the router. */
function rawGet(path: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: env.get('HOST'), port: env.get('PORT'), path }, (response) => {
      response.resume()
      resolve(response.headers)
    })
      .on('error', reject)
      .end()
  })
}

test.group('Browsers: security headers', () => {
  test('every response says nosniff: success, 401, 404, 422 and malformed URLs', async ({
    client,
    assert,
  }) => {
    const responses = [
      await client.get('/api/v1/health'),
      await client.get('/api/v1/me'),
      await client.get('/api/v1/nowhere'),
      await client.post('/api/v1/auth/login').json({ email: 'not an email' }),
    ]
    assert.deepEqual(
      responses.map((response) => response.status()),
      [200, 401, 404, 422]
    )
    for (const response of responses) {
      assert.equal(response.header('x-content-type-options'), 'nosniff')
    }
    const malformed = await rawGet('/api/v1/invoices/%C0%AF')
    assert.equal(malformed['x-content-type-options'], 'nosniff')
  })

  test('no Strict-Transport-Security while APP_URL is http', async ({ client, assert }) => {
    assert.match(env.get('APP_URL'), /^http:/)
    const response = await client.get('/api/v1/health')
    assert.isUndefined(response.header('strict-transport-security'))
  })
})
