import { test } from '@japa/runner'
import { chromiumPath, missingChromium } from '#tests/helpers/browser'

test.group('The browser tests’ prerequisite', () => {
  test('CHROMIUM_PATH names the browser, Debian’s chromium otherwise', ({ assert }) => {
    assert.equal(
      chromiumPath({ CHROMIUM_PATH: '/opt/google/chrome/chrome' }),
      '/opt/google/chrome/chrome'
    )
    assert.equal(chromiumPath({}), '/usr/bin/chromium')
    assert.equal(chromiumPath({ CHROMIUM_PATH: '' }), '/usr/bin/chromium')
  })

  test('a missing browser is one line saying what to install and which variable to set', async ({
    assert,
  }) => {
    const missing = await missingChromium('/nonexistent/chromium')
    assert.isString(missing)
    assert.notInclude(missing!, '\n')
    assert.include(missing!, '/nonexistent/chromium')
    assert.include(missing!, 'apt-get install chromium')
    assert.include(missing!, 'CHROMIUM_PATH')
  })

  test('a file that is not executable is missing too; an executable is not', async ({ assert }) => {
    assert.isString(await missingChromium(new URL(import.meta.url).pathname))
    assert.isNull(await missingChromium(process.execPath))
  })
})
