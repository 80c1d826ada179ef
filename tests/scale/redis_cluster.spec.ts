import { test } from '@japa/runner'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { dayFromToday } from '#tests/helpers/calendar'
import { AppProcess, NodeProcess, startApp } from '#tests/helpers/app_processes'
import {
  checkinEmailsPerInvoice,
  freelancerWithInvoicesDue,
  oncePerInvoice,
  waitForCheckinsSent,
} from '#tests/helpers/checkin_flow'
import { RedisCluster } from '#tests/helpers/redis_topologies'
import { processSceneForEach } from '#tests/helpers/running_app'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

/** This run's prefix as a hash tag: every key of a queue in one slot. */
const HASH_TAGGED_PREFIX = `{${env.get('QUEUE_PREFIX')}}`

test.group('Scale: Redis Cluster', (group) => {
  const scene = processSceneForEach(group)

  test('the boot refuses a QUEUE_PREFIX that is not a hash tag, naming the key', async ({
    assert,
  }) => {
    const web = scene.track(
      new AppProcess('web', {
        REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
        QUEUE_PREFIX: 'relance',
      })
    )
    assert.notEqual(await web.exited, 0)
    assert.include(web.output, '"QUEUE_PREFIX" must be a hash tag such as {relance}')
  })

  test('queues, limiter, health, reconciler, queue:status and durability checks run on three masters', async ({
    assert,
  }) => {
    const cluster = scene.stopAfterProcesses(await RedisCluster.start(3))
    const clusterEnv = {
      ...scene.smtpEnv,
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      // Nothing listens there: the app must not use it
      REDIS_PORT: '1',
      QUEUE_PREFIX: HASH_TAGGED_PREFIX,
      QUEUE_RECONCILE_INTERVAL_MS: '500',
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
    }
    // /health answers 200 only with Redis reachable: startApp waits for it
    const app = await startApp(clusterEnv)
    scene.track(app.web)
    scene.track(app.worker)
    const { inbox } = scene

    const email = 'cluster@example.test'
    const { token, invoices } = await freelancerWithInvoicesDue(app, inbox, email, 3, 'CL')
    const invoiceIds = invoices.map((invoice) => invoice.id)
    await waitForCheckinsSent(inbox, email, invoices)

    // The rate limiter counts in the Cluster (failing open would send no header)
    const counted = []
    for (const n of [1, 2]) {
      const response = await fetch(`${app.baseUrl}/api/v1/invoices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': `Bearer ${token}` },
        body: JSON.stringify({
          number: `CL-LATER-${n}`,
          clientName: 'Acme SAS',
          clientEmail: 'compta@acme.test',
          amountCents: 5_000,
          dueDate: dayFromToday(30).toISODate(),
        }),
      })
      assert.equal(response.status, 201)
      counted.push(Number(response.headers.get('x-ratelimit-remaining')))
    }
    assert.equal(counted[0] - counted[1], 1, `remaining counts ${counted.join(', ')}`)

    // Every master loses its keys: the reconciler restores the delayed check-ins
    const later = await CheckinTask.query()
      .whereNotIn('invoice_id', invoiceIds)
      .where('status', 'scheduled')
      .orderBy('id')
    assert.isNotEmpty(later)
    const jobKeys = later.map(
      (task) => `${HASH_TAGGED_PREFIX}:checkins:${sendCheckinJob.jobId(task.id)}`
    )
    const master = cluster.nodes[0]
    const exists = async (key: string) => (await master.cli('-c', 'exists', key)) === '1'
    for (const key of jobKeys) assert.isTrue(await exists(key), key)
    for (const node of cluster.nodes) await node.cli('flushall')
    await waitFor(
      'the reconciler to restore the delayed check-in jobs',
      async () => {
        const present = await Promise.all(jobKeys.map(exists))
        return present.every(Boolean)
      },
      { timeoutMs: 20_000, intervalMs: 100 }
    )

    const status = new NodeProcess(['ace.js', 'queue:status'], {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ...clusterEnv,
    })
    assert.equal(await status.exited, 0, status.output)
    assert.include(status.output, 'checkins')

    // One warning per master: these run without persistence
    for (const node of cluster.nodes) {
      assert.include(app.worker.output, `Redis 127.0.0.1:${node.port} has no persistence`)
    }

    // Each check-in went once: no second email turns up
    await holdsFor(
      'one email per invoice',
      () =>
        JSON.stringify(checkinEmailsPerInvoice(inbox, email, invoices)) ===
        JSON.stringify(oncePerInvoice(invoices)),
      { forMs: 1_500 }
    )
    assert.deepEqual(checkinEmailsPerInvoice(inbox, email, invoices), oncePerInvoice(invoices))
  }).timeout(120_000)
})
