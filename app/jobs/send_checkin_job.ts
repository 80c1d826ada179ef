import type { Job } from 'bullmq'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import type { SendCheckinPayload } from '#services/checkin_scheduler'
import { deliverCheckin } from '#services/checkin_delivery'

/**
 * Queue `checkins`: sends a check-in email when its task is still waiting.
 */
export default async function sendCheckinJob(job: Job<SendCheckinPayload>) {
  const { taskId, encryptedToken } = job.data
  const plainToken =
    typeof encryptedToken === 'string' ? encryption.decrypt<string>(encryptedToken) : null
  if (!Number.isInteger(taskId) || typeof plainToken !== 'string') {
    logger.warn({ jobId: job.id }, 'check-in job with an unreadable payload skipped')
    return 'skipped'
  }
  return deliverCheckin(taskId, plainToken)
}
