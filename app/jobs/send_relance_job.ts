import { DelayedError, type Job } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import type { SendRelancePayload } from '#services/relance_scheduler'
import { deliverRelance, markRelanceFailed } from '#services/relance_delivery'

/**
 * Queue `relances`: sends a relance to the client when it is still due.
 */
export default async function sendRelanceJob(job: Job<SendRelancePayload>, token?: string) {
  const { relanceId } = job.data
  if (!Number.isInteger(relanceId)) {
    logger.warn({ jobId: job.id }, 'relance job with an unreadable payload skipped')
    return 'skipped'
  }
  const outcome = await deliverRelance(relanceId)
  if (outcome.kind === 'deferred') {
    // Same job, later: keeps the deterministic id the reconciler looks for
    await job.moveToDelayed(outcome.until.toMillis(), token)
    throw new DelayedError()
  }
  return outcome.kind
}

/**
 * Called by the worker once a relance job has used its last attempt.
 */
sendRelanceJob.onExhausted = async (job: Job<SendRelancePayload>, error: Error) => {
  if (Number.isInteger(job.data.relanceId)) {
    await markRelanceFailed(job.data.relanceId, error.message)
  }
}
