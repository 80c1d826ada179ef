import type { Redis } from 'ioredis'
import logger from '@adonisjs/core/services/logger'
import queueConfig from '#config/queue'
import { getQueue, replaceJobs } from '#queue/queues'
import { registeredJobs } from '#queue/workers'
import type { QueueJob } from '#queue/job_definition'

/**
 * The ids, among these, that have no job waiting, delayed or running in
 * Redis: absent, or left in the completed or failed set. One round trip.
 */
async function jobsToRecreate(queueName: string, jobIds: string[]): Promise<Set<string>> {
  const queue = getQueue(queueName)
  // BullMQ's client type is backend-neutral; the Redis backend hands out ioredis
  const client = (await queue.backend.client) as unknown as Redis
  const pipeline = client.pipeline()
  for (const jobId of jobIds) {
    pipeline.exists(queue.toKey(jobId))
    pipeline.zscore(queue.toKey('completed'), jobId)
    pipeline.zscore(queue.toKey('failed'), jobId)
  }
  const replies = (await pipeline.exec()) ?? []
  return new Set(
    jobIds.filter((_, index) => {
      const [[, exists], [, completed], [, failed]] = replies.slice(index * 3, index * 3 + 3)
      return exists === 0 || completed !== null || failed !== null
    })
  )
}

const BATCH_SIZE = 1_000

/**
 * Pages through one queue's settled rows by id, so memory stays flat at any
 * volume, and gives each row whose job Redis lost a new one under the same id.
 */
async function reconcileQueue(queueName: string, job: QueueJob, graceSeconds: number) {
  const rebuild = job.spec.rebuild!
  const settledBefore = new Date(Date.now() - graceSeconds * 1000)
  let afterId = 0
  let restored = 0
  while (true) {
    const rows = await rebuild.scheduledRows({ afterId, settledBefore, limit: BATCH_SIZE })
    if (rows.length === 0) return restored
    afterId = rows[rows.length - 1].id
    const missing = await jobsToRecreate(
      queueName,
      rows.map((row) => job.jobId(row.id))
    )
    const lost = rows.filter((row) => missing.has(job.jobId(row.id)))
    if (lost.length === 0) continue
    const jobs = await rebuild.jobsFor(lost)
    await replaceJobs(queueName, jobs)
    restored += jobs.length
  }
}

/**
 * PostgreSQL is the source of truth: every row that promises a job and whose
 * job Redis lost gets one again (overdue ones run at once), for each queue
 * whose job says how. Deterministic job ids keep a repeated pass from
 * duplicating anything. Rows younger than `graceSeconds`
 * (QUEUE_RECONCILE_GRACE_SECONDS, 30 by default) are left to the request
 * that is enqueueing their job. Returns how many jobs each queue got back.
 */
export async function reconcileQueues({ graceSeconds = queueConfig.reconcileGraceSeconds } = {}) {
  const restored: Record<string, number> = {}
  for (const [queueName, job] of registeredJobs()) {
    if (job.spec.rebuild) restored[queueName] = await reconcileQueue(queueName, job, graceSeconds)
  }
  if (Object.values(restored).some((count) => count > 0)) {
    logger.info(restored, 'reconciler re-enqueued lost jobs')
  }
  return restored
}
