import { setTimeout as sleep } from 'node:timers/promises'
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import queueConfig from '#config/queue'
import { bullmqConnection } from '#config/redis_connection'
import type { QueueJob } from '#queue/job_definition'
import { jobsProcessed } from '#metrics/metrics'

const registry = new Map<string, QueueJob>()
const started: Worker[] = []
/** The job handlers running in this process: a closing worker waits for them. */
const handling = new Set<Promise<unknown>>()
let startedConcurrency = 1

/** Jobs each queue of this process runs at once (`--concurrency`). */
export function workerConcurrency(): number {
  return startedConcurrency
}

/** The process's workers were asked to close: start nothing new, finish what is in hand. */
export function workersClosing(): boolean {
  return started.some((worker) => worker.closing !== undefined)
}

/** Binds a job to its queue: the one place a queue is named. */
export function registerWorker(queueName: string, job: QueueJob) {
  job.bindTo(queueName)
  registry.set(queueName, job)
}

export function registeredJobs(): Map<string, QueueJob> {
  return registry
}

function isLastAttempt(job: Job, error: Error) {
  return error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
}

/** When BullMQ will try again, as its backoff computes it. */
function nextTryInSeconds(job: Job): number | undefined {
  const backoff = job.opts.backoff
  if (!backoff) return undefined
  const { type, delay = 0 } =
    typeof backoff === 'number' ? { type: 'fixed', delay: backoff } : backoff
  const ms = type === 'exponential' ? delay * 2 ** (job.attemptsMade - 1) : delay
  return Math.round(ms / 1000)
}

/**
 * One readable line per failed attempt: what failed, attempt n of N, and
 * when the next try comes. Stacks are for debug level only.
 */
function logFailure(queueName: string, job: Job, error: Error, spec: QueueJob['spec']) {
  const attempts = job.opts.attempts ?? 1
  const last = isLastAttempt(job, error)
  const next = last ? 'no further try' : `next try in ${nextTryInSeconds(job) ?? 0} s`
  const what = spec.describeFailure?.(error) ?? error.message
  logger.warn(
    { queue: queueName, jobId: job.id, attempt: job.attemptsMade, attempts },
    `${queueName} job ${job.id} failed: ${what} (attempt ${job.attemptsMade} of ${attempts}, ${next})`
  )
  logger.debug({ queue: queueName, jobId: job.id, err: error }, 'job failure details')
}

/**
 * Starts a BullMQ worker for each named queue. An error the job calls
 * permanent fails the job at once instead of retrying it.
 */
export function startWorkers(queueNames: string[], concurrency: number): Worker[] {
  startedConcurrency = concurrency
  const workers = queueNames.map((queueName) => {
    const queueJob = registry.get(queueName)
    if (!queueJob) throw new Error(`No worker registered for queue "${queueName}"`)
    const { spec } = queueJob

    const worker = new Worker(
      queueName,
      async (job, token) => {
        const handled = spec.handle(job, token)
        handling.add(handled)
        try {
          return await handled
        } catch (error) {
          if (spec.isPermanent?.(error)) {
            // The original stays the cause: failure hooks read what it says
            throw Object.assign(new UnrecoverableError((error as Error).message), { cause: error })
          }
          throw error
        } finally {
          handling.delete(handled)
        }
      },
      {
        prefix: queueConfig.prefix,
        // Copied by the worker: the given one (on Cluster, a client) never connects
        connection: bullmqConnection({ maxRetriesPerRequest: null }),
        concurrency,
        lockDuration: queueConfig.worker.lockDurationMs,
        stalledInterval: queueConfig.worker.stalledIntervalMs,
        autorun: true,
      }
    )
    worker.on('completed', () => jobsProcessed.inc({ queue: queueName, outcome: 'completed' }))
    worker.on('failed', async (job, error) => {
      jobsProcessed.inc({ queue: queueName, outcome: 'failed' })
      if (!job) return
      logFailure(queueName, job, error, spec)
      if (spec.onExhausted && isLastAttempt(job, error)) {
        try {
          await spec.onExhausted(job, error)
        } catch (hookError) {
          logger.error({ queue: queueName, jobId: job.id, err: hookError }, 'failure hook failed')
        }
      }
    })
    worker.on('error', (error) => logger.error({ queue: queueName, err: error }, 'worker error'))
    return worker
  })
  started.push(...workers)
  // A closed worker no longer speaks for the process (tests start and close workers in one)
  for (const worker of workers) {
    worker.once('closed', () => started.splice(started.indexOf(worker), 1))
  }
  return workers
}

/**
 * Closes these workers: no new job starts, the handlers in hand finish
 * (their email sent, their row committed: PostgreSQL and SMTP, not Redis),
 * then BullMQ records their end in Redis and closes its connections. With
 * Redis unreachable that last step never ends: `redisGraceMs` after the
 * handlers, the connections are dropped and `redis unreachable` returned. A
 * job whose end Redis did not record comes back once its lock expires and
 * finds its row done.
 */
export async function closeWorkers(
  workers: Worker[],
  { redisGraceMs }: { redisGraceMs: number }
): Promise<'closed' | 'redis unreachable'> {
  const closed = Promise.all(workers.map((worker) => worker.close()))
  await Promise.allSettled([...handling])
  const outcome = await Promise.race([
    closed.then(() => 'closed' as const),
    sleep(redisGraceMs, 'redis unreachable' as const, { ref: false }),
  ])
  if (outcome === 'redis unreachable') {
    logger.warn(
      `Redis did not answer within ${redisGraceMs} ms of the last job: the jobs whose end it missed come back after their lock`
    )
    // A connection that never came up waits for ever to be ready before it disconnects
    for (const worker of workers) worker.disconnect().catch(() => {})
  }
  return outcome
}
