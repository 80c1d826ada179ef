import type { Redis } from 'ioredis'
import logger from '@adonisjs/core/services/logger'
import queueConfig from '#config/queue'
import { enqueue, getQueue, removeJobs } from '#queue/queues'
import { registeredJobs } from '#queue/workers'
import type { QueueJob } from '#queue/job_definition'

/**
 * Which of these job ids Redis no longer holds as waiting, delayed or
 * running: `absent`, or `finished` (left in the completed or failed set,
 * which must be removed before the id can be added again). One round trip:
 * an EXISTS per job, one ZMSCORE per finished set.
 */
async function lostJobs(queueName: string, jobIds: string[]) {
  const queue = getQueue(queueName)
  // BullMQ's client type is backend-neutral; the Redis backend hands out ioredis
  const client = (await queue.backend.client) as unknown as Redis
  const pipeline = client.pipeline()
  for (const jobId of jobIds) pipeline.exists(queue.toKey(jobId))
  pipeline.zmscore(queue.toKey('completed'), ...jobIds)
  pipeline.zmscore(queue.toKey('failed'), ...jobIds)
  // A connection lost mid-pipeline answers nothing, or an error per command:
  // the pass stops here and the next one asks again
  const results = await pipeline.exec()
  const error = results ? results.find(([commandError]) => commandError)?.[0] : undefined
  if (!results || results.length !== jobIds.length + 2 || error) {
    throw new Error(
      `Redis did not answer the job lookup of queue ${queueName}: ${error?.message ?? 'no reply'}`
    )
  }
  const replies = results.map(([, reply]) => reply)
  const [completed, failed] = replies.slice(jobIds.length) as (string | null)[][]
  const lost = new Map<string, 'absent' | 'finished'>()
  jobIds.forEach((jobId, index) => {
    if (replies[index] === 0) lost.set(jobId, 'absent')
    else if (completed[index] !== null || failed[index] !== null) lost.set(jobId, 'finished')
  })
  return lost
}

/**
 * Rows per pass step. Each step's rows, Redis replies and jobs are garbage
 * once it ends; a step small enough keeps them in V8's young generation, so
 * the worker's heap stays small over a pass of any length.
 */
const BATCH_SIZE = 500

/**
 * Pages through one queue's settled rows by id, so memory stays flat at any
 * volume, and gives each row whose job Redis lost a new one under the same id.
 */
async function reconcileQueue(
  queueName: string,
  job: QueueJob,
  graceSeconds: number,
  signal?: AbortSignal
) {
  const rebuild = job.spec.rebuild!
  const settledBefore = new Date(Date.now() - graceSeconds * 1000)
  let afterId = 0
  let restored = 0
  while (true) {
    signal?.throwIfAborted()
    const rows = await rebuild.scheduledRows({ afterId, settledBefore, limit: BATCH_SIZE })
    if (rows.length === 0) return restored
    afterId = rows[rows.length - 1].id
    const lost = await lostJobs(
      queueName,
      rows.map((row) => job.jobId(row.id))
    )
    if (lost.size === 0) continue
    const jobs = await rebuild.jobsFor(rows.filter((row) => lost.has(job.jobId(row.id))))
    // Only a finished job is in the way: removing an absent one is a wasted script call
    await removeJobs(
      queueName,
      jobs.map(({ opts }) => opts.jobId).filter((jobId) => lost.get(jobId) === 'finished'),
      { signal }
    )
    await enqueue(queueName, jobs, { signal })
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
 * `signal` stops a pass between two steps (the process is stopping).
 */
export async function reconcileQueues({
  graceSeconds = queueConfig.reconcileGraceSeconds,
  signal,
}: { graceSeconds?: number; signal?: AbortSignal } = {}) {
  const restored: Record<string, number> = {}
  for (const [queueName, job] of registeredJobs()) {
    if (job.spec.rebuild) {
      restored[queueName] = await reconcileQueue(queueName, job, graceSeconds, signal)
    }
  }
  if (Object.values(restored).some((count) => count > 0)) {
    logger.info(restored, 'reconciler re-enqueued lost jobs')
  }
  return restored
}
