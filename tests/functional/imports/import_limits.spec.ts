import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import { tracingChannel } from 'node:diagnostics_channel'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import User from '#models/user'
import ImportBatch from '#models/import_batch'
import { UserFactory } from '#database/factories/user_factory'
import { resetState } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { waitFor } from '#tests/helpers/wait_for'
import { datedFixture, draftOf, upload, validate } from '#tests/helpers/import_requests'
import { dayFromToday } from '#tests/helpers/calendar'
import {
  multipartFile,
  multipartFileOfSize,
  multipartHead,
  postKeepingEarlyAnswer,
} from '#tests/helpers/multipart'

const FIVE_MB = 5 * 1024 * 1024

/**
 * How many requests the app has finished handling: the HTTP server traces
 * each one on this channel, its promise settled once the response is sent
 * (or the connection found gone) and every middleware has returned.
 */
let handled = 0
const ignore = () => {}
tracingChannel('adonisjs.http.request').subscribe({
  start: ignore,
  end: ignore,
  asyncStart: ignore,
  error: ignore,
  asyncEnd: () => {
    handled++
  },
})

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

test.group('Import limits / one validate per user at a time', (group) => {
  group.each.setup(() => resetState())

  test('while a validate of a user runs, another of theirs answers 409 and another user’s goes on', async ({
    client,
    assert,
    cleanup,
  }) => {
    // Fixtures dated from a week ago: their rows validate whatever day it is
    const scratch = await mkdtemp(join(tmpdir(), 'relance-dated-'))
    cleanup(() => rm(scratch, { recursive: true, force: true }))
    const dated = (name: string) => datedFixture(name, scratch, dayFromToday(-7))
    const user = await UserFactory.create()
    const running = await draftOf(client, user, await dated('english_comma.csv'))
    const waiting = await draftOf(client, user, await dated('excel_fr_utf8_bom.csv'))
    const neighbour = await UserFactory.create()
    const theirs = await draftOf(client, neighbour, await dated('excel_fr_windows1252.csv'))

    // Holding the first batch's row keeps its validate running, its lock taken
    const holder = await db.transaction()
    let first
    try {
      await holder.from('import_batches').where('id', running.id).forUpdate().select('id')
      const { rows } = await holder.rawQuery('SELECT pg_backend_pid() AS pid')
      first = (async () => validate(client, user, running.id))()
      await waitFor('the first validate to wait for the batch row', async () => {
        const blocked = await db.rawQuery(
          'SELECT count(*)::int AS count FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))',
          [rows[0].pid]
        )
        return blocked.rows[0].count > 0
      })

      const second = await validate(client, user, waiting.id)
      const neighbours = await validate(client, neighbour, theirs.id)

      const [conflict] = assertErrorBody(assert, second, 409)
      assert.include(conflict.message, 'being validated')
      neighbours.assertStatus(200)
    } finally {
      await holder.rollback()
    }
    const firstResponse = await first!

    firstResponse.assertStatus(200)
    const [validated, draft] = await Promise.all([
      ImportBatch.findOrFail(running.id),
      ImportBatch.findOrFail(waiting.id),
    ])
    assert.equal(validated.status, 'validated')
    assert.equal(draft.status, 'draft')
    assert.equal(await countRows('invoices', { user_id: user.id }), 3)
    // Once the first is done, the other validates
    const later = await validate(client, user, waiting.id)
    later.assertStatus(200)
    assert.equal(await countRows('invoices', { user_id: user.id }), 7)
  }).timeout(60_000)
})

test.group('Import limits / uploads never stay on disk', (group) => {
  let uploads: string
  let token: string

  /** Nothing in the app's temp directory. */
  async function assertTempDirEmpty(assert: Assert, label: string) {
    assert.deepEqual(await readdir(uploads), [], label)
  }

  group.each.setup(async () => {
    await resetState()
    const user = await UserFactory.create()
    const accessToken = await User.accessTokens.create(user)
    token = accessToken.value!.release()
    // os.tmpdir() reads TMPDIR at each call: the app writes its temp files here
    const previous = process.env.TMPDIR
    uploads = await mkdtemp(join(tmpdir(), 'relance-uploads-'))
    process.env.TMPDIR = uploads
    return async () => {
      if (previous === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previous
      await rm(uploads, { recursive: true, force: true })
    }
  })

  const boundary = 'relance-upload'
  const multipartHeaders = () => ({
    'authorization': `Bearer ${token}`,
    'content-type': `multipart/form-data; boundary=${boundary}`,
  })
  const csv = Buffer.from(
    'number;client;email;amount;due_date\nF-1;Acme;a@acme.test;12,50;01/02/2027\n'
  )

  test('after a draft, a 422, a 413 and a 401, the temp directory holds no upload', async ({
    assert,
  }) => {
    const cases: [string, Buffer, Record<string, string>, number][] = [
      ['a draft', multipartFile(boundary, 'ok.csv', csv), multipartHeaders(), 201],
      [
        'a file that is not CSV',
        multipartFile(boundary, 'x.csv', Buffer.from([0, 1, 2, 3])),
        multipartHeaders(),
        422,
      ],
      [
        'a file over 5 MB',
        multipartFileOfSize(boundary, 'big.csv', FIVE_MB + 1),
        multipartHeaders(),
        413,
      ],
      [
        'a request over the upload limit',
        multipartFileOfSize(boundary, 'huge.csv', 9 * 1024 * 1024),
        multipartHeaders(),
        413,
      ],
      [
        'no token',
        multipartFile(boundary, 'ok.csv', csv),
        { 'content-type': `multipart/form-data; boundary=${boundary}` },
        401,
      ],
    ]

    for (const [label, body, headers, status] of cases) {
      const response = await postKeepingEarlyAnswer('/api/v1/import-batches', body, headers)
      assert.equal(response.status, status, `${label}: ${JSON.stringify(response.body)}`)
      await assertTempDirEmpty(assert, label)
    }
    assert.equal(await countRows('import_batches'), 1)
  })

  test('after a connection dropped in the middle of an upload, the temp directory holds no upload', async ({
    assert,
  }) => {
    // The file part is whole, the next one is cut in its headers
    const sent = Buffer.concat([
      multipartHead(boundary, 'dropped.csv'),
      csv,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="fi`),
    ])
    const before = handled

    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(
        `http://${env.get('HOST')}:${env.get('PORT')}/api/v1/import-batches`,
        {
          method: 'POST',
          headers: { ...multipartHeaders(), 'content-length': String(sent.length + 1024) },
        }
      )
      request.on('error', () => {})
      request.write(sent, (error) => {
        if (error) return reject(error)
        request.destroy()
        resolve()
      })
    })
    await waitFor('the app to be done with the dropped request', () => handled > before)

    await assertTempDirEmpty(assert, 'dropped connection')
    assert.equal(await countRows('import_batches'), 0)
  })
})
