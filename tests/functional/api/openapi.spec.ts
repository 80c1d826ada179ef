import { test } from '@japa/runner'
import { Validator } from '@seriousme/openapi-schema-validator'
import router from '@adonisjs/core/services/router'
import { openApiPath } from '#openapi/document'
import env from '#start/env'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'

/** `METHOD /path/{param}` of every route the router declares (HEAD goes with GET). */
function declaredOperations() {
  return Object.values(router.toJSON())
    .flat()
    .flatMap((route) =>
      route.methods
        .filter((method) => method !== 'HEAD')
        .map((method) => `${method} ${openApiPath(route.pattern)}`)
    )
}

test.group('OpenAPI document', () => {
  test('GET /api/v1/openapi.json serves a valid OpenAPI 3.1 document, without a token', async ({
    client,
    assert,
  }) => {
    const response = await client
      .get('/api/v1/openapi.json')
      .header('origin', 'https://elsewhere.test')

    response.assertStatus(200)
    const document = response.body()
    assert.equal(document.openapi, '3.1.0')
    const result = await new Validator().validate(document)
    assert.isTrue(result.valid, JSON.stringify(result.errors, null, 2))
  })

  test('documents every route of start/routes.ts, and no other', async ({ client, assert }) => {
    const response = await client.get('/api/v1/openapi.json')
    const documented = Object.entries(response.body().paths as Record<string, object>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((key) => key !== 'parameters' && key !== 'servers')
          .map((method) => `${method.toUpperCase()} ${path}`)
    )

    assert.sameMembers(documented, declaredOperations())
  })

  test('each path parameter is described, and each authenticated route needs the bearer token', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/v1/openapi.json')
    const { paths } = response.body()
    for (const [path, item] of Object.entries(paths as Record<string, any>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name)
      assert.sameMembers(
        (item.parameters ?? []).map((parameter: { name: string }) => parameter.name),
        names,
        path
      )
    }
    assert.deepEqual(paths['/invoices'].get.security, [{ bearer: [] }])
    assert.deepEqual(paths['/auth/login'].post.security, [])
    assert.include(
      paths['/invoices'].post.requestBody.content['application/json'].schema.required,
      'dueDate'
    )
    // The client's page lives at APP_URL itself, outside the API's prefix
    assert.deepEqual(paths['/client/{token}'].servers, [{ url: env.get('APP_URL') }])
    assert.isUndefined(paths['/invoices'].servers)
  })

  test('every operation has a unique operationId and says its security; bearer ones refuse a request without a token', async ({
    client,
    assert,
  }) => {
    await resetState({ rateLimits: true })
    const user = await UserFactory.create()
    const response = await client.get('/api/v1/openapi.json')
    const { paths, webhooks } = response.body()
    const ids: string[] = []
    for (const [path, item] of Object.entries({ ...paths, ...webhooks } as Record<string, any>)) {
      for (const [method, operation] of Object.entries(item as Record<string, any>)) {
        // Path-level keys, not operations (the client's page sets its own servers)
        if (method === 'parameters' || method === 'servers') continue
        const label = `${method.toUpperCase()} ${path}`
        assert.isString(operation.operationId, label)
        assert.isArray(operation.security, label)
        ids.push(operation.operationId)
        if (!(path in paths)) continue
        // Path parameters get a value that matches the route: a 404 never hides a 401
        const url = `${item.servers ? '' : '/api/v1'}${path}`
          .replace('{id}', '1')
          .replace('{sequence}', '1')
          .replace('{line}', '1')
          .replace('{token}', 'A'.repeat(43))
        const answer = await client[method as 'get'](url)
          .header('x-forwarded-for', '198.18.0.1')
          .redirects(0)
        if (operation.security.length === 0) {
          assert.notEqual(answer.status(), 401, `${label} is public`)
        } else {
          // A secret of the environment, unset in the tests: the route is not there
          const secretOfEnv =
            operation.security[0].metricsToken || operation.security[0].inboundSecret
          assert.equal(answer.status(), secretOfEnv ? 404 : 401, label)
          const signedIn = await client[method as 'get'](url).loginAs(user).redirects(0)
          assert.notEqual(signedIn.status(), 401, `${label} with a token`)
        }
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  })
})
