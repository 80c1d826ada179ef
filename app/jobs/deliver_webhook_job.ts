import { DelayedError } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'
import { scheduledRowStatus } from '#support/scheduled_rows'

export type DeliverWebhookPayload = { deliveryId: number }

type DeliveryRef = { id: number; scheduledAt: Date | { valueOf(): number } }

/**
 * Webhook deliveries: one job per `webhook_deliveries` row, at the moment
 * of its next attempt. A failed attempt moves the same job to the next one
 * (WEBHOOK_RETRY_DELAYS), so its id stays the one the reconciler looks for.
 */
const deliverWebhookJob: QueueJob<DeliverWebhookPayload, DeliveryRef> = defineJob({
  name: 'deliver-webhook',
  idPrefix: 'webhook',

  async handle(job, token) {
    const { deliveryId } = job.data
    if (!Number.isInteger(deliveryId)) {
      logger.warn({ jobId: job.id }, 'webhook job with an unreadable payload skipped')
      return 'skipped'
    }
    // Loaded on first use: the web process, which only enqueues, never loads the HTTP client
    const { deliverWebhook } = await import('#services/webhooks/webhook_delivery')
    const outcome = await deliverWebhook(deliveryId)
    if (outcome.kind === 'retry') {
      await job.moveToDelayed(outcome.at.valueOf(), token)
      throw new DelayedError()
    }
    return outcome.kind
  },

  rebuild: {
    async scheduledRows(page) {
      const rows: { id: number; scheduled_at: Date }[] = await db
        .from('webhook_deliveries')
        .select('id', 'scheduled_at')
        .where('status', 'scheduled')
        .where('updated_at', '<', page.settledBefore)
        .where('id', '>', page.afterId)
        .orderBy('id')
        .limit(page.limit)
      return rows.map((row) => ({ id: row.id, scheduledAt: row.scheduled_at }))
    },
    jobsFor: async (deliveries) => deliveries.map(webhookJob),
  },

  rowStatus: () => scheduledRowStatus('webhook_deliveries', { sentColumn: 'delivered_at' }),
})

export default deliverWebhookJob

/** The job of a delivery, at the moment of its next attempt. */
export function webhookJob(delivery: DeliveryRef): QueuedJob<DeliverWebhookPayload> {
  return deliverWebhookJob.forRow(delivery, { deliveryId: delivery.id })
}
