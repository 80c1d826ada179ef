import { test } from '@japa/runner'
import { Queue } from 'bullmq'
import CheckinTask from '#models/checkin_task'
import User from '#models/user'
import Relance from '#models/relance'
import queueConfig from '#config/queue'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { reconcileQueues } from '#queue/reconciler'
import sendRelanceJob from '#jobs/send_relance_job'
import {
  AppProcess,
  callApi,
  freePort,
  postInvoiceOn,
  registerOn,
} from '#tests/helpers/app_processes'
import {
  clientEmail,
  firstRelancesDueNow,
  freelancerEmail,
  freelancersWithInvoicesDue,
} from '#tests/helpers/faults'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { RedisServer } from '#tests/helpers/redis_server'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { dropQueueKeys, queuedJobIds, queuesIdle } from '#tests/helpers/state'
import { GiveUp, waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

/** The job ids PostgreSQL promises: one per `scheduled` row. */
async function promisedJobIds() {
  const tasks = await CheckinTask.query().where('status', 'scheduled')
  const relances = await Relance.query().where('status', 'scheduled')
  return {
    checkins: tasks.map((task) => sendCheckinJob.jobId(task.id)).sort(),
    relances: relances.map((relance) => sendRelanceJob.jobId(relance.id)).sort(),
  }
}

test.group('Faults: Redis loses every queued job', (group) => {
  const scene = processSceneForEach(group)

  test('the worker rebuilds every job from PostgreSQL and each email goes out once', async ({
    assert,
  }) => {
    const { inbox } = scene
    const due = await freelancersWithInvoicesDue(3, 'lost')
    const later = await createScheduledInvoice(await UserFactory.create(), {
      dueDate: dayFromToday(10),
    })
    await firstRelancesDueNow(due.map(({ invoice }) => invoice.id))
    const promised = await promisedJobIds()
    const tasksBefore = await CheckinTask.all()
    const hashesBefore = new Map(tasksBefore.map((task) => [task.invoiceId, task.tokenHash]))

    await dropQueueKeys()

    assert.deepEqual(await queuedJobIds('checkins'), [])
    assert.deepEqual(await queuedJobIds('relances'), [])
    // Reconciling at start and every 300 ms: repeated passes must not duplicate
    await scene.startWorker({
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
      QUEUE_RECONCILE_INTERVAL_MS: '300',
    })
    await waitFor(
      'the due check-ins and relances to be sent and the queues idle',
      async () =>
        (await countRows('checkin_tasks', { status: 'sent' })) === 3 &&
        (await countRows('relances', { status: 'sent' })) === 3 &&
        (await queuesIdle()),
      { timeoutMs: 20_000 }
    )

    for (let n = 1; n <= 3; n++) {
      assert.lengthOf(inbox.to(freelancerEmail('lost', n)), 1, `check-ins to freelancer ${n}`)
      assert.lengthOf(inbox.to(clientEmail('lost', n)), 1, `relances to client ${n}`)
    }
    assert.lengthOf(inbox.messages, 6)
    // The lost plain tokens were replaced: each email's link matches its task
    for (const { user, invoice } of due) {
      const task = await CheckinTask.query().where('invoice_id', invoice.id).firstOrFail()
      const [mail] = inbox.to(user.email)
      assert.equal(hashCheckinToken(checkinTokenFrom(mail)), task.tokenHash)
      assert.notEqual(task.tokenHash, hashesBefore.get(invoice.id))
    }
    // What is not due yet waits in Redis again, under the same ids
    const stillPromised = await promisedJobIds()
    assert.includeMembers(promised.checkins, stillPromised.checkins)
    const laterTask = await CheckinTask.findByOrFail('invoice_id', later.id)
    assert.include(stillPromised.checkins, sendCheckinJob.jobId(laterTask.id))
    assert.lengthOf(stillPromised.relances, 3 * 2 + 3)
    assert.deepEqual(await queuedJobIds('checkins'), stillPromised.checkins)
    assert.deepEqual(await queuedJobIds('relances'), stillPromised.relances)
    assert.deepEqual(await reconcileQueues({ graceSeconds: 0 }), {
      'checkins': 0,
      'relances': 0,
      'verifications': 0,
      'thank-yous': 0,
      'client-notices': 0,
      'webhooks': 0,
      'inbound': 0,
    })
  })
})

test.group('Faults: Redis loses a digest before it goes out', (group) => {
  const scene = processSceneForEach(group)

  test('the rebuilt jobs still send one email listing every check-in, each task sent once', async ({
    assert,
  }) => {
    const { inbox } = scene
    const user = await UserFactory.merge({ email: 'digest@example.test' }).create()
    const dueDate = dayFromToday(-1)
    for (const number of ['DG-1', 'DG-2', 'DG-3']) {
      await createScheduledInvoice(user, { number, dueDate })
    }

    await dropQueueKeys()
    await scene.startWorker({
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
      QUEUE_RECONCILE_INTERVAL_MS: '300',
    })

    await waitFor(
      'the 3 check-ins to be sent and the queues idle',
      async () =>
        (await countRows('checkin_tasks', { status: 'sent' })) === 3 && (await queuesIdle()),
      { timeoutMs: 20_000 }
    )
    assert.lengthOf(inbox.to('digest@example.test'), 1)
    assert.lengthOf(inbox.messages, 1)
    const [mail] = inbox.messages
    for (const number of ['DG-1', 'DG-2', 'DG-3']) assert.include(mail.text, number)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 3)
    // What waits now is the check-in before each invoice's next relance
    const waiting = await CheckinTask.query().where('status', 'scheduled')
    assert.lengthOf(waiting, 3)
    assert.isTrue(waiting.every((task) => task.beforeRelance === 2))
  })
})

test.group('Faults: Redis unreachable, then back', (group) => {
  const scene = processSceneForEach(group)

  test('without Redis, logins are answered at once and an invoice within the deadline, sent once Redis is back', async ({
    assert,
  }) => {
    const { inbox } = scene
    // A port nothing listens on yet: Redis is down until the test starts its own there
    const redisPort = await freePort()
    const port = await freePort()
    const app = { baseUrl: `http://127.0.0.1:${port}` }
    const env = {
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_URL: app.baseUrl,
      REDIS_PORT: String(redisPort),
      SMTP_PORT: String(inbox.port),
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
    }
    const web = scene.track(new AppProcess('web', env))
    const health = await waitFor(
      'the web process to answer /health',
      async () => {
        if (web.hasExited) throw new GiveUp(`web exited:\n${web.output}`)
        return await fetch(`${app.baseUrl}/api/v1/health`)
      },
      { timeoutMs: 30_000, intervalMs: 100 }
    )
    assert.equal(health.status, 503)
    assert.deepEqual(await health.json(), { errors: [{ message: 'redis is down' }] })

    const token = await registerOn(app, 'camille@example.test')
    // The login limits fail open: a wrong password is a 401, the right one a token, at once
    const credentials = { email: 'camille@example.test', password: 'a-long-password' }
    const loginStartedAt = Date.now()
    const wrong = await callApi(app, 'POST', '/auth/login', {
      body: { ...credentials, password: 'not-the-password' },
    })
    const signedIn = await callApi(app, 'POST', '/auth/login', { body: credentials })
    assert.deepEqual([wrong.status, signedIn.status], [401, 200])
    assert.isBelow(Date.now() - loginStartedAt, 2_000)
    // Verified long ago: this test is about Redis, not about the verification email
    await User.query()
      .where('email', 'camille@example.test')
      .update({ email_verified_at: new Date() })
    const startedAt = Date.now()
    const created = await postInvoiceOn(app, token, { number: 'F-REDIS-1', amountCents: 120_000 })
    const elapsedMs = Date.now() - startedAt

    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.isBelow(elapsedMs, 2_000)
    const invoiceId = created.body.data.id as number
    assert.equal(
      await countRows('checkin_tasks', { invoice_id: invoiceId, status: 'scheduled' }),
      1
    )
    assert.equal(await countRows('relances', { invoice_id: invoiceId, status: 'scheduled' }), 3)

    scene.stopAfterProcesses(await RedisServer.start(redisPort))
    await waitFor(
      '/health to answer 200 again',
      async () => {
        const response = await fetch(`${app.baseUrl}/api/v1/health`)
        return response.status === 200
      },
      { timeoutMs: 15_000, intervalMs: 200 }
    )
    // The web's producer came back too: a new invoice's jobs are enqueued by the request
    const later = await postInvoiceOn(app, token, {
      number: 'F-REDIS-2',
      amountCents: 80_000,
      dueDate: dayFromToday(30).toISODate()!,
    })
    assert.equal(later.status, 201)
    const laterTask = await CheckinTask.findByOrFail('invoice_id', later.body.data.id)
    const revived = new Queue('checkins', {
      prefix: queueConfig.prefix,
      connection: { host: '127.0.0.1', port: redisPort },
    })
    try {
      assert.exists(await revived.getJob(sendCheckinJob.jobId(laterTask.id)))
    } finally {
      await revived.close()
    }

    await firstRelancesDueNow([invoiceId])
    await scene.startWorker(env)

    await waitFor(
      'the check-in and the first relance to be sent',
      async () =>
        (await countRows('checkin_tasks', { invoice_id: invoiceId, status: 'sent' })) === 1 &&
        (await countRows('relances', { invoice_id: invoiceId, status: 'sent' })) === 1,
      { timeoutMs: 20_000 }
    )
    assert.lengthOf(inbox.to('camille@example.test'), 1)
    assert.lengthOf(inbox.to('compta@acme.test'), 1)
    assert.lengthOf(inbox.messages, 2)
  })
})
