import { test } from '@japa/runner'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { callApi, startWeb, type AppProcess } from '#tests/helpers/app_processes'
import { resetState } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { invoicePayload } from '#tests/helpers/invoice_requests'
import { multipartFile } from '#tests/helpers/multipart'

const LIMIT = 3

async function tokenOf(user: User) {
  const token = await User.accessTokens.create(user)
  return token.value!.release()
}

test.group('Writes rate limited per user', (group) => {
  let app: { baseUrl: string; web: AppProcess }
  // The web process's own temp directory: a refused upload must leave nothing there
  let uploads: string

  group.setup(async () => {
    uploads = await mkdtemp(join(tmpdir(), 'relance-uploads-'))
    app = await startWeb({ RATE_LIMIT_WRITES_PER_MINUTE: String(LIMIT), TMPDIR: uploads })
    return async () => {
      await app.web.stop()
      await rm(uploads, { recursive: true, force: true })
    }
  })
  group.each.setup(() => resetState({ rateLimits: true }))

  test('past RATE_LIMIT_WRITES_PER_MINUTE, invoices and imports of that user answer 429, whatever their IP', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await tokenOf(user)
    const post = (path: string, body: unknown, ip: string) =>
      fetch(`${app.baseUrl}/api/v1${path}`, {
        method: 'POST',
        headers: {
          'authorization': `Bearer ${token}`,
          'content-type': 'application/json',
          'x-forwarded-for': ip,
        },
        body: JSON.stringify(body),
      })

    for (let index = 0; index < LIMIT; index++) {
      const created = await post(
        '/invoices',
        invoicePayload({ number: `F-${index}` }),
        '198.51.100.1'
      )
      assert.equal(created.status, 201, `invoice ${index + 1} of ${LIMIT}`)
    }
    // Another address does not reset the user's budget, and imports share it
    const invoice = await post('/invoices', invoicePayload({ number: 'F-OVER' }), '203.0.113.50')
    const batch = await post(
      '/import-batches',
      { rows: [invoicePayload({ number: 'F-ROW' })] },
      '203.0.113.51'
    )
    const file = await fetch(`${app.baseUrl}/api/v1/import-batches`, {
      method: 'POST',
      headers: {
        'authorization': `Bearer ${token}`,
        'content-type': 'multipart/form-data; boundary=relance-limit',
      },
      body: multipartFile('relance-limit', 'over.csv', Buffer.from('number\nF-1\n')),
    })

    for (const limited of [invoice, batch, file]) {
      assert.equal(limited.status, 429)
      assert.deepEqual(Object.keys((await limited.json()) as object), ['errors'])
      const retryAfter = Number(limited.headers.get('retry-after'))
      assert.isAbove(retryAfter, 0)
      assert.isAtMost(retryAfter, 60)
    }
    assert.equal(await countRows('invoices'), LIMIT)
    assert.equal(await countRows('import_batches'), 0)
    assert.deepEqual(await readdir(uploads), [])
    // Reading is not limited
    const listed = await callApi(app, 'GET', '/invoices', { token })
    assert.equal(listed.status, 200)
  })

  test('one user past the limit leaves another user’s writes alone', async ({ assert }) => {
    const busy = await tokenOf(await UserFactory.create())
    const other = await tokenOf(await UserFactory.create())

    for (let index = 0; index < LIMIT; index++) {
      const created = await callApi(app, 'POST', '/invoices', {
        token: busy,
        body: invoicePayload({ number: `F-${index}` }),
      })
      assert.equal(created.status, 201)
    }
    const limited = await callApi(app, 'POST', '/invoices', {
      token: busy,
      body: invoicePayload({ number: 'F-OVER' }),
    })
    const elsewhere = await callApi(app, 'POST', '/import-batches', {
      token: other,
      body: { rows: [invoicePayload()] },
    })

    assert.equal(limited.status, 429)
    assert.equal(elsewhere.status, 201)
  })
})
