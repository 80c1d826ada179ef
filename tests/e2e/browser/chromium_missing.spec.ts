import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { NodeProcess } from '#tests/helpers/app_processes'

/** A database of its own: the runner started here migrates it, never the suite's. */
const RUNNER_DATABASE = `${env.get('DB_DATABASE')}_no_browser`

test.group('Without Chromium', (group) => {
  group.each.setup(async () => {
    await db.rawQuery('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [RUNNER_DATABASE])
    await db.rawQuery('CREATE DATABASE ??', [RUNNER_DATABASE])
    return async () => {
      await db.rawQuery('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [RUNNER_DATABASE])
    }
  })

  test('the browser tests stop the run with one line naming what to install and CHROMIUM_PATH', async ({
    assert,
  }) => {
    const runner = new NodeProcess(
      ['ace.js', 'test', '--files=tests/e2e/browser/spa_and_confirmation.spec.ts'],
      {
        CHROMIUM_PATH: '/nonexistent/chromium',
        DB_DATABASE: RUNNER_DATABASE,
        QUEUE_PREFIX: `${env.get('QUEUE_PREFIX')}-no-browser`,
      }
    )
    assert.equal(await runner.exited, 1)
    const lines = runner.output.split('\n')
    const reasons = lines.filter((line) => line.includes('/nonexistent/chromium'))
    assert.lengthOf(reasons, 1, runner.output)
    assert.include(reasons[0], 'apt-get install chromium')
    assert.include(reasons[0], 'CHROMIUM_PATH')
    // No stack trace, and no test ran
    assert.notMatch(runner.output, /^\s+at /m)
    assert.notInclude(runner.output, 'passed')
  }).timeout(60_000)
})
