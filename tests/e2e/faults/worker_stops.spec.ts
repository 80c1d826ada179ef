import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { AppProcess, freePort } from '#tests/helpers/app_processes'
import { freelancersWithInvoicesDue, recipientOf } from '#tests/helpers/faults'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { RedisServer } from '#tests/helpers/redis_server'
import { queuedJobIds } from '#tests/helpers/state'
import { waitFor } from '#tests/helpers/wait_for'

/** The freelancers whose check-in PostgreSQL has committed as `sent`. */
async function committedRecipients(): Promise<Set<string>> {
  const tasks = await CheckinTask.query()
    .where('status', 'sent')
    .preload('invoice', (invoice) => invoice.preload('user'))
  return new Set(tasks.map((task) => task.invoice.user.email))
}

test.group('Faults: the worker stops mid-batch', (group) => {
  const scene = processSceneForEach(group)

  test('SIGKILL mid-batch: a new worker sends everything, twice only what SMTP accepted but PostgreSQL never committed', async ({
    assert,
  }) => {
    const { inbox } = scene
    const batch = await freelancersWithInvoicesDue(30, 'killed')
    // Each send waits 200 ms for the SMTP answer: sends are in flight all along
    inbox.delayMs = 200
    const first = await scene.startWorker({}, { concurrency: 5 })
    await waitFor(
      'a part of the batch to be committed',
      async () => (await countRows('checkin_tasks', { status: 'sent' })) >= 5,
      { timeoutMs: 20_000, intervalMs: 20 }
    )
    // A slow commit holds sends inside the window: the activity row each
    // delivery writes after the SMTP answer waits for this lock
    const slowCommits = await db.transaction()
    let killedExitCode: number | null | undefined
    try {
      await slowCommits.rawQuery('LOCK TABLE activity_events IN SHARE MODE')
      const acceptedBefore = inbox.messages.length
      // Sends go in waves of five: the kill may find a wave accepted, or part in flight
      await waitFor(
        'sends accepted by SMTP that cannot commit',
        () => inbox.messages.length - acceptedBefore >= 2,
        { timeoutMs: 10_000, intervalMs: 5 }
      )
      killedExitCode = await first.stop('SIGKILL')
      await waitFor('the killed sends to settle', () => inbox.inFlight === 0)
    } finally {
      await slowCommits.rollback()
    }
    assert.isNull(killedExitCode, 'killed by the signal')

    const accepted = new Set(inbox.messages.map(recipientOf))
    const committed = await committedRecipients()
    const window = [...accepted].filter((address) => !committed.has(address))
    assert.isAtLeast(window.length, 2, 'the kill fell inside the window')
    assert.isAtMost(window.length, 5, 'at most one send per job in hand')
    assert.isBelow(accepted.size, 30, 'the kill came before the batch was done')

    inbox.delayMs = 0
    await scene.startWorker({}, { concurrency: 5 })
    // The jobs the killed worker held come back once their 15 s locks expire
    await waitFor(
      'every check-in of the batch to be committed as sent',
      async () => (await countRows('checkin_tasks', { status: 'sent' })) === 30,
      { timeoutMs: 45_000, intervalMs: 200 }
    )

    const counts = inbox.countsByRecipient()
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([address]) => address)
    for (const { user } of batch) {
      assert.oneOf(counts.get(user.email), [1, 2], `${user.email} got its check-in`)
    }
    assert.isAtMost(duplicated.length, window.length)
    assert.sameMembers(duplicated, window, 'what went twice is what was in the window')
    assert.lengthOf(inbox.messages, 30 + duplicated.length)
    // One commit per check-in, whatever was sent twice
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 30)
  }).timeout(90_000)

  test('SIGTERM: the worker finishes the sends in hand, exits 0, and leaves the rest queued', async ({
    assert,
  }) => {
    const { inbox } = scene
    const batch = await freelancersWithInvoicesDue(6, 'drained')
    inbox.delayMs = 1_500
    const first = await scene.startWorker({}, { concurrency: 3 })
    await waitFor('three sends in hand', () => inbox.inFlight === 3, { timeoutMs: 20_000 })

    const stoppingAt = Date.now()
    const exitCode = await first.stop('SIGTERM', 10_000)
    const stopMs = Date.now() - stoppingAt

    assert.equal(exitCode, 0)
    assert.isBelow(stopMs, 10_000)
    // The three in hand went out once each and were committed before the exit
    const sentTo = inbox.messages.map(recipientOf)
    assert.lengthOf(sentTo, 3)
    assert.lengthOf(new Set(sentTo), 3)
    assert.sameMembers([...(await committedRecipients())], sentTo)
    // The three not started are still promised: rows scheduled, jobs waiting
    const waiting = await CheckinTask.query().where('status', 'scheduled')
    assert.lengthOf(waiting, 3)
    assert.deepEqual(
      await queuedJobIds('checkins'),
      waiting.map((task) => sendCheckinJob.jobId(task.id)).sort()
    )

    inbox.delayMs = 0
    await scene.startWorker({}, { concurrency: 3 })
    await waitFor(
      'the rest of the batch to be sent',
      async () => (await countRows('checkin_tasks', { status: 'sent' })) === 6
    )
    const counts = inbox.countsByRecipient()
    for (const { user } of batch) assert.equal(counts.get(user.email), 1, user.email)
    assert.lengthOf(inbox.messages, 6)
  })
})

test.group('Faults: the worker stops at awkward moments', (group) => {
  const scene = processSceneForEach(group)

  test('SIGTERM while it starts: nothing starts after it, the worker exits 0', async ({
    assert,
  }) => {
    // The signal comes at once: the first reconciler pass is most likely still running
    const worker = scene.track(new AppProcess('worker', scene.smtpEnv))
    await worker.waitForOutput('worker consuming')
    assert.equal(await worker.stop('SIGTERM', 10_000), 0)
  })

  test('SIGTERM while Redis is down: the sends in hand are committed, then the worker exits 1 instead of waiting for Redis', async ({
    assert,
  }) => {
    const { inbox } = scene
    // A Redis of the test's own, filled by the worker's reconciler from PostgreSQL
    const redisPort = await freePort()
    const redis = scene.stopAfterProcesses(await RedisServer.start(redisPort))
    await freelancersWithInvoicesDue(6, 'redis-gone')
    inbox.delayMs = 1_500
    const worker = await scene.startWorker(
      { REDIS_PORT: String(redisPort), QUEUE_RECONCILE_GRACE_SECONDS: '0' },
      { concurrency: 3 }
    )
    await waitFor('three sends in hand', () => inbox.inFlight === 3, { timeoutMs: 20_000 })
    await redis.stop()

    // Throws past the grace: the worker used to retry Redis for ever
    const exitCode = await worker.stop('SIGTERM', 20_000)

    assert.equal(exitCode, 1)
    assert.include(worker.output, 'Redis did not answer')
    const sentTo = inbox.messages.map(recipientOf)
    assert.lengthOf(sentTo, 3)
    assert.sameMembers([...(await committedRecipients())], sentTo)
    // The three not started are still promised: the reconciler re-creates their jobs
    assert.equal(await countRows('checkin_tasks', { status: 'scheduled' }), 3)
  })
})
