import { test } from '@japa/runner'
import { postInvoiceOn, registerVerifiedOn, startApp } from '#tests/helpers/app_processes'
import {
  checkinEmailsPerInvoice,
  invoiceNumber,
  oncePerInvoice,
  waitForCheckinsSent,
  type PostedInvoice,
} from '#tests/helpers/checkin_flow'
import { RedisSentinelSet } from '#tests/helpers/redis_topologies'
import { processSceneForEach } from '#tests/helpers/running_app'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

const INVOICES = 20
/** The master dies once this many invoices are in: the rest come during the failover. */
const KILL_AFTER = 6

test.group('Scale: Redis Sentinel failover', (group) => {
  const scene = processSceneForEach(group)

  test('the master dies while check-ins go out: the processes follow the promoted replica, each check-in is sent once', async ({
    assert,
  }) => {
    const sentinel = scene.stopAfterProcesses(await RedisSentinelSet.start())
    const app = await startApp({
      ...scene.smtpEnv,
      ...sentinel.env,
      // Nothing listens there: the app must ask the Sentinel
      REDIS_PORT: '1',
      QUEUE_RECONCILE_INTERVAL_MS: '500',
      QUEUE_RECONCILE_GRACE_SECONDS: '1',
    })
    scene.track(app.web)
    scene.track(app.worker)
    const { inbox } = scene
    const email = 'failover@example.test'
    const token = await registerVerifiedOn(app, inbox, email)

    const invoices: PostedInvoice[] = []
    const statuses: number[] = []
    for (let n = 1; n <= INVOICES + 1; n++) {
      if (n === KILL_AFTER + 1) await sentinel.master.stop()
      if (n === INVOICES + 1) break
      const number = invoiceNumber('SF', n)
      const created = await postInvoiceOn(app, token, { number, amountCents: 1_000 + n })
      statuses.push(created.status)
      if (created.status === 201) invoices.push({ id: created.body.data.id, number })
    }
    // Redis down or failing over never fails a request: the rows wait for the reconciler
    assert.deepEqual(statuses, Array(INVOICES).fill(201))

    await waitFor(
      'the Sentinel to promote the replica',
      async () => (await sentinel.masterPort()) === sentinel.replica.port,
      { timeoutMs: 30_000, intervalMs: 200 }
    )
    await waitForCheckinsSent(inbox, email, invoices, 60_000)
    const once = JSON.stringify(oncePerInvoice(invoices))
    await holdsFor(
      'one email per invoice',
      () => JSON.stringify(checkinEmailsPerInvoice(inbox, email, invoices)) === once,
      { forMs: 2_000 }
    )
    assert.deepEqual(checkinEmailsPerInvoice(inbox, email, invoices), oncePerInvoice(invoices))

    // Both processes work on the new master: the web's health, a new invoice's check-in
    const health = await fetch(`${app.baseUrl}/api/v1/health`)
    assert.equal(health.status, 200)
    const number = invoiceNumber('SF-AFTER', 1)
    const last = await postInvoiceOn(app, token, { number, amountCents: 999 })
    assert.equal(last.status, 201)
    const all = [...invoices, { id: last.body.data.id, number }]
    await waitForCheckinsSent(inbox, email, all)
    assert.deepEqual(checkinEmailsPerInvoice(inbox, email, all), oncePerInvoice(all))
  }).timeout(180_000)
})
