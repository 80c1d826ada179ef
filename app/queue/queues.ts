import { Queue, type JobsOptions } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import queueConfig from '#config/queue'
import { bullmqConnection, disconnectBullmqClusters } from '#config/redis_connection'

/** A job as BullMQ adds it, under a deterministic id. */
export type QueuedJob<Payload> = {
  name: string
  data: Payload
  opts: JobsOptions & { jobId: string }
}

/** What a Redis step may be given: a signal that it is too late to go on. */
export type RedisStepOptions = { signal?: AbortSignal }

const queues = new Map<string, Queue>()
/** Set once the process stops: a request finishing late gets no new connection to keep it alive. */
let closed = false

/**
 * The producer side of a queue, shared by the process. Without an offline
 * queue a command fails at once while Redis is down, and `afterCommit`
 * bounds the whole Redis step: a request is never held.
 */
export function getQueue(name: string): Queue {
  if (closed) throw new Error(`queue ${name} is closed: the process is stopping`)
  let queue = queues.get(name)
  if (!queue) {
    const connection = bullmqConnection({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: queueConfig.producerTimeoutMs,
      retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    })
    queue = new Queue(name, {
      prefix: queueConfig.prefix,
      connection,
      defaultJobOptions: queueConfig.defaultJobOptions,
    })
    queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue connection error'))
    queues.set(name, queue)
  }
  return queue
}

export async function closeQueues() {
  closed = true
  await Promise.all([...queues.values()].map((queue) => queue.close()))
  queues.clear()
  // The workers, if any, closed before (commands/queue_work.ts): their clients go too
  disconnectBullmqClusters()
}

/**
 * Jobs per `addBulk`: each one is a Redis MULTI, and a huge one would hold
 * Redis (and every worker) for its whole length; building one holds this
 * process's event loop too (1,000 jobs: tens of milliseconds).
 */
const BULK_SIZE = 250

/**
 * The queue, once its connection is up. BullMQ holds every command until
 * the first connection succeeds, however long that takes: a step whose
 * deadline passed meanwhile stops here instead of landing late with stale
 * jobs (the reconciler enqueues them with what PostgreSQL then says).
 */
async function readyQueue(queueName: string, signal?: AbortSignal) {
  const queue = getQueue(queueName)
  await queue.waitUntilReady()
  signal?.throwIfAborted()
  return queue
}

/**
 * Adds jobs with `addBulk`, one round trip per BULK_SIZE jobs, the next
 * one built and sent while Redis runs the one before: one waiting for the
 * other, this process and Redis each idled half of an import's 40,000
 * jobs. Deterministic job ids make a repeated add a no-op.
 */
export async function enqueue<Payload>(
  queueName: string,
  jobs: QueuedJob<Payload>[],
  { signal }: RedisStepOptions = {}
) {
  if (jobs.length === 0) return
  const queue = await readyQueue(queueName, signal)
  let inFlight: Promise<unknown> = Promise.resolve()
  for (let start = 0; start < jobs.length; start += BULK_SIZE) {
    signal?.throwIfAborted()
    const sent = queue.addBulk(jobs.slice(start, start + BULK_SIZE))
    // Awaited in the next turn: its failure is not unhandled meanwhile
    sent.catch(() => {})
    await inFlight
    inFlight = sent
  }
  await inFlight
}

/**
 * Removes jobs that are still waiting or delayed. An active job cannot be
 * removed: every job re-reads its row before acting, so it becomes a no-op.
 */
export async function removeJobs(
  queueName: string,
  jobIds: string[],
  { signal }: RedisStepOptions = {}
) {
  if (jobIds.length === 0) return
  const queue = await readyQueue(queueName, signal)
  await Promise.all(jobIds.map((jobId) => queue.remove(jobId)))
}

/**
 * Puts these jobs in place of whatever Redis holds under their ids (a
 * finished job, or a delayed one for an older moment).
 */
export async function replaceJobs<Payload>(
  queueName: string,
  jobs: QueuedJob<Payload>[],
  step: RedisStepOptions = {}
) {
  await removeJobs(
    queueName,
    jobs.map((job) => job.opts.jobId),
    step
  )
  await enqueue(queueName, jobs, step)
}
