import { test } from '@japa/runner'
import type { Job } from 'bullmq'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import {
  clientEmail,
  firstRelancesDueNow,
  freelancerEmail,
  freelancersWithInvoicesDue,
} from '#tests/helpers/faults'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'

test.group('Faults: the SMTP server is down', (group) => {
  const scene = processSceneForEach(group)

  test('a 421 answer is retried with backoff, and everything goes out once when SMTP is back', async ({
    assert,
  }) => {
    const { inbox } = scene
    inbox.refuseWith = 421
    const due = await freelancersWithInvoicesDue(2, 'outage')
    const [relance] = await firstRelancesDueNow([due[0].invoice.id])
    await scene.startWorker()
    const recipients = [
      freelancerEmail('outage', 1),
      freelancerEmail('outage', 2),
      clientEmail('outage', 1),
    ]
    await waitFor(
      'every send to be refused once',
      () => recipients.every((address) => inbox.refused.includes(address)),
      { timeoutMs: 15_000 }
    )

    // Refused, not lost: each job waits for its retry and each row is still a promise
    const tasks = await CheckinTask.query().orderBy('id')
    const jobIds = [
      ...tasks.map((task) => ({ queue: 'checkins' as const, id: sendCheckinJob.jobId(task.id) })),
      { queue: 'relances' as const, id: sendRelanceJob.jobId(relance.id) },
    ]
    await waitFor('every job to wait for its retry', async () => {
      const states = await Promise.all(
        jobIds.map(({ queue, id }) => getQueue(queue).getJobState(id))
      )
      return states.every((state) => state === 'delayed')
    })
    const jobs = (await Promise.all(
      jobIds.map(({ queue, id }) => getQueue(queue).getJob(id))
    )) as Job[]
    for (const job of jobs) {
      assert.equal(job.attemptsMade, 1, `${job.id} was tried once`)
      assert.include(job.failedReason, '421')
    }
    assert.equal(await countRows('checkin_tasks', { status: 'scheduled' }), 2)
    assert.equal(await countRows('relances', { id: relance.id, status: 'scheduled' }), 1)
    assert.lengthOf(inbox.messages, 0)

    inbox.refuseWith = null
    const backAt = Date.now()
    await waitFor('a first retry to go through', () => inbox.messages.length > 0, {
      timeoutMs: 15_000,
    })
    const firstRetryAfterMs = Date.now() - backAt
    await waitFor(
      'the check-ins and the relance to be sent',
      async () =>
        (await countRows('checkin_tasks', { status: 'sent' })) === 2 &&
        (await countRows('relances', { id: relance.id, status: 'sent' })) === 1,
      { timeoutMs: 15_000, intervalMs: 100 }
    )

    // Retried after the backoff (5 s after the refusal), not in a tight loop
    assert.isAtLeast(firstRetryAfterMs, 3_000)
    assert.lengthOf(inbox.refused, 3, 'one refused attempt per send')
    const counts = inbox.countsByRecipient()
    for (const address of recipients) assert.equal(counts.get(address), 1, address)
    assert.lengthOf(inbox.messages, 3)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 2)
    assert.equal(await countRows('activity_events', { type: 'relance_sent' }), 1)
    assert.equal(await countRows('relances', { status: 'failed' }), 0)
  })
})
