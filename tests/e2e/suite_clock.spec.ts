import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { NodeProcess, callApi, startWeb } from '#tests/helpers/app_processes'
import { resetState } from '#tests/helpers/state'

/** What a process says of its clock: the time, and its zone. */
const REPORT_CLOCK =
  'console.log(JSON.stringify({ now: Date.now(), zone: Intl.DateTimeFormat().resolvedOptions().timeZone }))'

test.group('The suite’s clock', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('the runner reads TEST_NOW plus the time elapsed since it started, when set', ({
    assert,
  }) => {
    const requested = process.env.TEST_NOW
    if (!requested) {
      // The machine's clock: no offset to hand down
      assert.isUndefined(process.env.TEST_NOW_OFFSET_MS)
      return
    }
    const startedAt = Date.parse(requested)
    assert.isAtLeast(Date.now(), startedAt)
    assert.isAtMost(Date.now(), startedAt + process.uptime() * 1000 + 1000)
  })

  test('a process the suite spawns reads the same clock and time zone as the runner', async ({
    assert,
  }) => {
    const before = Date.now()
    const child = new NodeProcess(['-e', REPORT_CLOCK], {})
    assert.equal(await child.exited, 0, child.output)
    const after = Date.now()
    const reported = JSON.parse(child.output) as { now: number; zone: string }
    assert.isAtLeast(reported.now, before)
    assert.isAtMost(reported.now, after)
    assert.equal(reported.zone, Intl.DateTimeFormat().resolvedOptions().timeZone)
  })

  test('the web process stamps what it writes with the runner’s clock', async ({
    assert,
    cleanup,
  }) => {
    const api = await startWeb()
    cleanup(async () => {
      await api.web.stop()
    })
    const before = DateTime.now()
    const registration = await callApi(api, 'POST', '/auth/register', {
      body: {
        fullName: 'Camille Martin',
        email: 'clock@example.test',
        password: 'a-long-password',
      },
    })
    const after = DateTime.now()
    assert.equal(registration.status, 201)
    const createdAt = DateTime.fromISO(registration.body.data.user.createdAt)
    assert.isTrue(createdAt >= before && createdAt <= after, createdAt.toISO()!)
  })
})
