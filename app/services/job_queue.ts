import { Queue, type JobsOptions } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import queueConfig from '#config/queue'

export type QueueName = 'checkins' | 'relances'

export type QueuedJob<Payload> = {
  name: string
  data: Payload
  opts: JobsOptions & { jobId: string }
}

const queues = new Map<QueueName, Queue>()

/**
 * The producer side of a queue, shared by the process. Without an offline
 * queue a command fails at once while Redis is down, and `afterCommit`
 * bounds the whole Redis step: a request is never held.
 */
export function getQueue(name: QueueName): Queue {
  let queue = queues.get(name)
  if (!queue) {
    queue = new Queue(name, {
      prefix: queueConfig.prefix,
      connection: {
        ...queueConfig.connection,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: queueConfig.producerTimeoutMs,
        retryStrategy: (times: number) => Math.min(times * 200, 2_000),
      },
      defaultJobOptions: queueConfig.defaultJobOptions,
    })
    queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue connection error'))
    queues.set(name, queue)
  }
  return queue
}

export async function closeQueues() {
  await Promise.all([...queues.values()].map((queue) => queue.close()))
  queues.clear()
}

/**
 * Jobs per `addBulk`: each one is a Redis MULTI, and a huge one would hold
 * Redis (and every worker) for its whole length.
 */
const BULK_SIZE = 1_000

/** What a Redis step may be given: a signal that it is too late to go on. */
export type RedisStepOptions = { signal?: AbortSignal }

/**
 * The queue, once its connection is up. BullMQ holds every command until
 * the first connection succeeds, however long that takes: a step whose
 * deadline passed meanwhile stops here instead of landing late with stale
 * jobs (the reconciler enqueues them with what PostgreSQL then says).
 */
async function readyQueue(queueName: QueueName, signal?: AbortSignal) {
  const queue = getQueue(queueName)
  await queue.waitUntilReady()
  signal?.throwIfAborted()
  return queue
}

/**
 * Adds jobs with `addBulk`, one round trip per thousand jobs. Deterministic
 * job ids make a repeated add a no-op.
 */
export async function enqueue<Payload>(
  queueName: QueueName,
  jobs: QueuedJob<Payload>[],
  { signal }: RedisStepOptions = {}
) {
  if (jobs.length === 0) return
  const queue = await readyQueue(queueName, signal)
  for (let start = 0; start < jobs.length; start += BULK_SIZE) {
    signal?.throwIfAborted()
    await queue.addBulk(jobs.slice(start, start + BULK_SIZE))
  }
}

/**
 * Removes jobs that are still waiting or delayed. An active job cannot be
 * removed: every job re-reads its row before acting, so it becomes a no-op.
 */
export async function removeJobs(
  queueName: QueueName,
  jobIds: string[],
  { signal }: RedisStepOptions = {}
) {
  const queue = await readyQueue(queueName, signal)
  await Promise.all(jobIds.map((jobId) => queue.remove(jobId)))
}

/** Redis work run after commit; `signal` aborts once its deadline has passed. */
type RedisStep = (options: Required<RedisStepOptions>) => Promise<void>

type PendingWork = { description: string; work: RedisStep; jobCount: number }

const pendingAfterCommit = new WeakMap<TransactionClientContract, PendingWork[]>()

/**
 * Runs Redis work once the transaction has committed. A failure here loses
 * nothing: the rows stay `scheduled` and the reconciler enqueues them again.
 * All the work of one transaction runs in order under one deadline, so a
 * request never waits on an unreachable Redis for longer than that. The
 * deadline grows with `jobCount` for bulk work (an import enqueues tens of
 * thousands of jobs), so only a Redis that does not answer hits it.
 */
export function afterCommit(
  trx: TransactionClientContract,
  description: string,
  work: RedisStep,
  { jobCount = 0 }: { jobCount?: number } = {}
) {
  let pending = pendingAfterCommit.get(trx)
  if (!pending) {
    const queued: PendingWork[] = []
    pendingAfterCommit.set(trx, queued)
    trx.after('commit', () => runUnderOneDeadline(queued))
    pending = queued
  }
  pending.push({ description, work, jobCount })
}

async function runUnderOneDeadline(pending: PendingWork[]) {
  const jobCount = pending.reduce((total, entry) => total + entry.jobCount, 0)
  const timeoutMs = queueConfig.producerTimeoutMs + jobCount * queueConfig.producerTimeoutPerJobMs
  const deadline = Date.now() + timeoutMs
  // Past the deadline the work is abandoned, not left to land when Redis comes back
  const expired = new AbortController()
  for (const { description, work } of pending) {
    let timer: NodeJS.Timeout | undefined
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          const error = new Error(`Redis did not answer within ${timeoutMs} ms`)
          expired.abort(error)
          reject(error)
        },
        Math.max(0, deadline - Date.now())
      )
    })
    try {
      await Promise.race([work({ signal: expired.signal }), expiry])
    } catch (error) {
      logger.warn({ err: error }, `${description} failed after commit; the reconciler will retry`)
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Enqueues these jobs once the transaction has committed, under its deadline. */
export function enqueueAfterCommit<Payload>(
  trx: TransactionClientContract,
  queueName: QueueName,
  jobs: QueuedJob<Payload>[]
) {
  if (jobs.length === 0) return
  afterCommit(trx, `enqueuing ${queueName} jobs`, (step) => enqueue(queueName, jobs, step), {
    jobCount: jobs.length,
  })
}
