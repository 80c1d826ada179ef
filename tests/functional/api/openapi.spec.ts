import { test } from '@japa/runner'
import { Validator } from '@seriousme/openapi-schema-validator'
import router from '@adonisjs/core/services/router'
import { openApiPath } from '#openapi/document'
import env from '#start/env'

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
    assert.isUndefined(paths['/auth/login'].post.security)
    assert.include(
      paths['/invoices'].post.requestBody.content['application/json'].schema.required,
      'dueDate'
    )
    // The client's page lives at APP_URL itself, outside the API's prefix
    assert.deepEqual(paths['/client/{token}'].servers, [{ url: env.get('APP_URL') }])
    assert.isUndefined(paths['/invoices'].servers)
  })
})
