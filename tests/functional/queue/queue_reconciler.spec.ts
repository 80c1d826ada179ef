import { test } from '@japa/runner'
import { UnrecoverableError, Worker } from 'bullmq'
import { DateTime } from 'luxon'
import encryption from '@adonisjs/core/services/encryption'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { getQueue } from '#queue/queues'
import { reconcileQueues } from '#queue/reconciler'
import sendRelanceJob from '#jobs/send_relance_job'
import sendVerificationJob from '#jobs/send_verification_job'
import User from '#models/user'
import { generateLinkToken, hashLinkToken } from '#support/link_tokens'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { queuedJobIds, resetQueues, resetState } from '#tests/helpers/state'
import { waitFor } from '#tests/helpers/wait_for'
import queueConfig from '#config/queue'
import { bullmqConnection } from '#config/redis_connection'

/** The job ids PostgreSQL says should be waiting in Redis. */
async function expectedJobIds() {
  const tasks = await CheckinTask.query().where('status', 'scheduled')
  const relances = await Relance.query().where('status', 'scheduled')
  return {
    checkins: tasks.map((task) => sendCheckinJob.jobId(task.id)).sort(),
    relances: relances.map((relance) => sendRelanceJob.jobId(relance.id)).sort(),
  }
}

/** What a pass restores when Redis lost nothing: a count per queue. */
const NOTHING_RESTORED = {
  'checkins': 0,
  'relances': 0,
  'verifications': 0,
  'thank-yous': 0,
  'client-notices': 0,
  'webhooks': 0,
  'inbound': 0,
}

test.group('Queue reconciler', (group) => {
  group.each.setup(() => resetState())

  test('rebuilds every lost job from PostgreSQL, once', async ({ assert }) => {
    const user = await UserFactory.create()
    for (let index = 0; index < 3; index++) await createScheduledInvoice(user)
    const expected = await expectedJobIds()
    await resetQueues() // Redis loses everything

    const first = await reconcileQueues({ graceSeconds: 0 })
    const second = await reconcileQueues({ graceSeconds: 0 })

    assert.deepEqual(first, { ...NOTHING_RESTORED, checkins: 3, relances: 9 })
    assert.deepEqual(second, NOTHING_RESTORED)
    assert.deepEqual(await queuedJobIds('checkins'), expected.checkins)
    assert.deepEqual(await queuedJobIds('relances'), expected.relances)
  })

  test('a rebuilt check-in carries a fresh token that matches its task', async ({ assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const before = await CheckinTask.query().where('invoice_id', invoice.id).firstOrFail()
    await resetQueues()

    await reconcileQueues({ graceSeconds: 0 })

    const after = await CheckinTask.findOrFail(before.id)
    assert.notEqual(after.tokenHash, before.tokenHash)
    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(after.id))
    const plain = encryption.decrypt<string>(job!.data.encryptedToken)!
    assert.equal(hashCheckinToken(plain), after.tokenHash)
  })

  test('overdue rows are enqueued to run at once, future ones at their time', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const [overdue, future] = await Relance.query()
      .where('invoice_id', invoice.id)
      .orderBy('sequence')
    await overdue.merge({ scheduledAt: DateTime.now().minus({ hours: 3 }) }).save()
    await resetQueues()

    await reconcileQueues({ graceSeconds: 0 })

    const overdueJob = await getQueue('relances').getJob(sendRelanceJob.jobId(overdue.id))
    const futureJob = await getQueue('relances').getJob(sendRelanceJob.jobId(future.id))
    assert.equal(overdueJob!.delay, 0)
    assert.closeTo(futureJob!.timestamp + futureJob!.delay, future.scheduledAt.toMillis(), 2_000)
  })

  test('a job left in the failed set for a row still scheduled is created again', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const relance = await Relance.query().where('invoice_id', invoice.id).firstOrFail()
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(relance.id))
    // A worker whose every attempt fails leaves the job in the failed set
    const failing = new Worker(
      'relances',
      async () => {
        throw new UnrecoverableError('SMTP down')
      },
      {
        prefix: queueConfig.prefix,
        connection: bullmqConnection({ maxRetriesPerRequest: null }),
      }
    )
    await job!.promote()
    await waitFor('the job to fail', async () => (await job!.getState()) === 'failed')
    await failing.close()

    const restored = await reconcileQueues({ graceSeconds: 0 })

    assert.equal(restored.relances, 1)
    const again = await getQueue('relances').getJob(sendRelanceJob.jobId(relance.id))
    assert.equal(await again!.getState(), 'delayed')
  })

  test('rows younger than the grace period are left to the request enqueueing them', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await createScheduledInvoice(user)
    await resetQueues()

    const restored = await reconcileQueues({ graceSeconds: 60 })

    assert.deepEqual(restored, NOTHING_RESTORED)
  })

  test('cancelled, sent and answered rows are never enqueued again', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const paid = await createScheduledInvoice(user)
    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    await resetQueues()

    const restored = await reconcileQueues({ graceSeconds: 0 })

    assert.deepEqual(restored, NOTHING_RESTORED)
    assert.deepEqual(await queuedJobIds('relances'), [])
  })

  test('a lost verification email is rebuilt with a fresh link, only for a user still waiting for it', async ({
    assert,
  }) => {
    const waiting = await UserFactory.apply('unverified')
      .merge({ emailVerificationTokenHash: generateLinkToken().hashed })
      .create()
    const before = waiting.emailVerificationTokenHash
    // Emailed already, or verified: nothing to send again
    await UserFactory.apply('unverified')
      .merge({
        emailVerificationTokenHash: generateLinkToken().hashed,
        emailVerificationSentAt: DateTime.now(),
      })
      .create()
    await UserFactory.create()
    await User.query().update({ updated_at: new Date(Date.now() - 3_600_000) })
    await resetQueues()

    const restored = await reconcileQueues()

    assert.deepEqual(restored, { ...NOTHING_RESTORED, verifications: 1 })
    assert.deepEqual(await queuedJobIds('verifications'), [sendVerificationJob.jobId(waiting.id)])
    await waiting.refresh()
    assert.notEqual(waiting.emailVerificationTokenHash, before)
    const job = await getQueue('verifications').getJob(sendVerificationJob.jobId(waiting.id))
    const plain = encryption.decrypt<string>(job!.data.encryptedToken)!
    assert.equal(hashLinkToken(plain), waiting.emailVerificationTokenHash)
  })
})
