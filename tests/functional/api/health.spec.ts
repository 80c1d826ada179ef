import { test } from '@japa/runner'

test.group('Health', () => {
  test('answers 200 with PostgreSQL and Redis both ok, without a token', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/v1/health')

    response.assertStatus(200)
    assert.equal(response.body().data.status, 'ok')
    const checks = response.body().data.checks as { name: string; status: string }[]
    assert.sameDeepMembers(checks, [
      { name: 'postgresql', status: 'ok' },
      { name: 'redis', status: 'ok' },
    ])
  })
})
