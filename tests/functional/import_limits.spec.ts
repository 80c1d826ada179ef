import { test } from '@japa/runner'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { upload } from '#tests/helpers/import_requests'

const FIVE_MB = 5 * 1024 * 1024

test.group('Import limits / parsing', (group) => {
  group.each.setup(() => resetState())

  test('a 5 MB header of commas is a 422 within a second, under 10 KB, and /health answers meanwhile', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const commas = Buffer.alloc(FIVE_MB, ',')
    // Routes load their modules on their first request: time the limit, not that
    const warmUp = await upload(client, user, Buffer.from('number\n'))
    warmUp.assertStatus(422)
    const health = await client.get('/api/v1/health')
    health.assertStatus(200)

    let elapsed = Infinity
    const started = performance.now()
    const uploaded = (async () => {
      const answer = await upload(client, user, commas)
      elapsed = performance.now() - started
      return answer
    })()
    const healthTimes: number[] = []
    while (elapsed === Infinity) {
      const asked = performance.now()
      const meanwhile = await client.get('/api/v1/health')
      meanwhile.assertStatus(200)
      healthTimes.push(Math.round(performance.now() - asked))
    }
    const response = await uploaded
    console.log(`      a 5 MB header of commas answered in ${Math.round(elapsed)} ms`)

    const [error] = assertErrorBody(assert, response, 422)
    assert.include(error.message, 'more than 64 columns')
    assert.isBelow(elapsed, 1000, `answered in ${Math.round(elapsed)} ms`)
    assert.isBelow(response.text().length, 10_240)
    assert.isAbove(healthTimes.length, 0)
    assert.isBelow(Math.max(...healthTimes), 1000, `/health took ${healthTimes.join(', ')} ms`)
    assert.equal(await countRows('import_batches'), 0)
  })

  test('a header with long unknown names answers a short message, each name cut', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const names = Array.from({ length: 3 }, (_, index) => `${index}${'x'.repeat(20_000)}`)
    const csv = Buffer.from(`${names.join(';')}\nF-1\n`)

    const response = await upload(client, user, csv)

    const [error] = assertErrorBody(assert, response, 422)
    assert.isBelow(response.text().length, 1024)
    assert.include(error.message, `"0${'x'.repeat(39)}…"`)
  })
})
