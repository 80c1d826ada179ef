import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DelayedError } from 'bullmq'
import { defineJob, type QueueJob } from '#queue/job_definition'
import { workerConcurrency, workersClosing } from '#queue/workers'
import type { QueuedJob } from '#queue/queues'
import {
  scheduledRowStatus,
  settledScheduledRows,
  type ScheduledRowRef,
} from '#support/scheduled_rows'
import { rotateCheckinTokens } from '#services/checkins/checkin_token'
import { describeMailError, isPermanentMailError } from '#mails/mail_errors'

export type SendCheckinPayload = {
  taskId: number
  invoiceId: number
  /** The plain token, encrypted: Redis keeps job data in clear text. */
  encryptedToken: string
}

let checkinBatcher: import('#services/checkins/checkin_batcher').CheckinBatcher | undefined

/** Loaded on first use: the web process, which only enqueues, never loads the mail code. */
const batcher = async () => {
  const { CheckinBatcher } = await import('#services/checkins/checkin_batcher')
  checkinBatcher ??= new CheckinBatcher({ batchSize: workerConcurrency, closing: workersClosing })
  return checkinBatcher
}

/**
 * Check-in emails to the freelancer: one job per task, at the task's
 * moment, carrying the plain token of its links. A job wakes the process's
 * batches, which send every check-in due (its own first) and remove the
 * jobs of the tasks they send.
 */
const sendCheckinJob: QueueJob<SendCheckinPayload, ScheduledRowRef> = defineJob({
  name: 'send-checkin',
  idPrefix: 'checkin',

  async handle(job, token) {
    const { taskId, encryptedToken } = job.data
    const plainToken =
      typeof encryptedToken === 'string' ? encryption.decrypt<string>(encryptedToken) : null
    if (!Number.isInteger(taskId) || typeof plainToken !== 'string') {
      logger.warn({ jobId: job.id }, 'check-in job with an unreadable payload skipped')
      return 'skipped'
    }
    const batches = await batcher()
    const outcome = await batches.deliver({ taskId, plainToken })
    if (outcome !== 'requeue') return outcome
    // The worker is stopping before this email started: the job waits for the next worker
    await job.moveToDelayed(Date.now(), token)
    throw new DelayedError()
  },

  isPermanent: isPermanentMailError,
  describeFailure: describeMailError,

  rebuild: {
    scheduledRows: (page) => settledScheduledRows('checkin_tasks', page),

    /** The plain token of a lost job is gone: each task gets a new one. */
    async jobsFor(tasks) {
      const tokens = await rotateCheckinTokens(
        tasks.map((task) => task.id),
        db.connection()
      )
      return tasks
        .filter((task) => tokens.has(task.id))
        .map((task) => checkinJob(task, tokens.get(task.id)!))
    },
  },

  rowStatus: () => scheduledRowStatus('checkin_tasks'),
})

export default sendCheckinJob

/** The job that sends a task's email, carrying its plain token. */
export function checkinJob(
  task: ScheduledRowRef,
  plainToken: string
): QueuedJob<SendCheckinPayload> {
  return sendCheckinJob.forRow(task, {
    taskId: task.id,
    invoiceId: task.invoiceId,
    encryptedToken: encryption.encrypt(plainToken),
  })
}
