import { UnrecoverableError, Worker, type Job } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import queueConfig from '#config/queue'
import type { QueueName } from '#services/job_queue'
import { isPermanentMailError } from '#services/mail_dispatcher'

export type JobHandler<Payload = any> = ((
  job: Job<Payload>,
  token?: string
) => Promise<unknown>) & {
  /** Runs once a job has failed its last attempt. */
  onExhausted?: (job: Job<Payload>, error: Error) => Promise<void>
}

const handlers = new Map<QueueName, JobHandler>()

export function registerWorker(queueName: QueueName, handler: JobHandler) {
  handlers.set(queueName, handler)
}

export function registeredQueues(): QueueName[] {
  return [...handlers.keys()]
}

function isLastAttempt(job: Job, error: Error) {
  return error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
}

/**
 * Starts a BullMQ worker for each named queue. A permanent SMTP refusal
 * fails the job at once instead of retrying it.
 */
export function startWorkers(queueNames: QueueName[], concurrency: number): Worker[] {
  return queueNames.map((queueName) => {
    const handler = handlers.get(queueName)
    if (!handler) throw new Error(`No worker registered for queue "${queueName}"`)

    const worker = new Worker(
      queueName,
      async (job, token) => {
        try {
          return await handler(job, token)
        } catch (error) {
          if (isPermanentMailError(error)) throw new UnrecoverableError((error as Error).message)
          throw error
        }
      },
      {
        prefix: queueConfig.prefix,
        connection: { ...queueConfig.connection, maxRetriesPerRequest: null },
        concurrency,
        lockDuration: queueConfig.worker.lockDurationMs,
        stalledInterval: queueConfig.worker.stalledIntervalMs,
        autorun: true,
      }
    )
    worker.on('failed', async (job, error) => {
      if (!job) return
      logger.warn(
        { queue: queueName, jobId: job.id, attempt: job.attemptsMade, err: error },
        'job failed'
      )
      if (handler.onExhausted && isLastAttempt(job, error)) {
        try {
          await handler.onExhausted(job, error)
        } catch (hookError) {
          logger.error({ queue: queueName, jobId: job.id, err: hookError }, 'failure hook failed')
        }
      }
    })
    worker.on('error', (error) => logger.error({ queue: queueName, err: error }, 'worker error'))
    return worker
  })
}
