import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'

export type ProcessInboundPayload = { messageId: number }

/** An `inbound_messages` row still to process: what its job is built from. */
export type InboundMessageRef = { id: number }

/**
 * Replies and bounces that came back: one job per `inbound_messages` row,
 * run at once. The row is the promise (stored before the sender heard
 * `250`); processing marks it processed in the transaction of its effects,
 * so a retry or a rebuilt job does nothing twice.
 */
const processInboundMessageJob: QueueJob<ProcessInboundPayload, InboundMessageRef> = defineJob({
  name: 'process-inbound-message',
  idPrefix: 'inbound',

  async handle(job) {
    const { messageId } = job.data
    if (!Number.isInteger(messageId)) {
      logger.warn({ jobId: job.id }, 'inbound job with an unreadable payload skipped')
      return 'skipped'
    }
    // Loaded on first use: the receiver and the web, which only enqueue, never load the parsers
    const { processInboundMessage } = await import('#services/inbound/inbound_processing')
    return processInboundMessage(messageId)
  },

  /** Every attempt failed (a bug, not a message: parsing never throws): kept aside, said in queue:status. */
  async onExhausted(job, error) {
    if (!Number.isInteger(job.data.messageId)) return
    const { markInboundMessageFailed } = await import('#services/inbound/inbound_messages')
    await markInboundMessageFailed(job.data.messageId, error.message)
  },

  rebuild: {
    async scheduledRows(page) {
      const rows: { id: number }[] = await db
        .from('inbound_messages')
        .select('id')
        .whereNull('processed_at')
        .whereNull('failed_at')
        .where('updated_at', '<', page.settledBefore)
        .where('id', '>', page.afterId)
        .orderBy('id')
        .limit(page.limit)
      return rows
    },
    jobsFor: async (messages) => messages.map(inboundJob),
  },

  async rowStatus() {
    const {
      rows: [row],
    } = await db.rawQuery(
      `SELECT count(*) FILTER (WHERE processed_at IS NULL AND failed_at IS NULL)::int AS scheduled,
              count(*) FILTER (WHERE processed_at IS NOT NULL)::int AS sent,
              count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed,
              min(received_at) FILTER (WHERE processed_at IS NULL AND failed_at IS NULL) AS oldest,
              count(*) FILTER (WHERE failed_at > ?)::int AS failed_last_day
       FROM inbound_messages`,
      [new Date(Date.now() - 24 * 3_600_000)]
    )
    return {
      scheduled: row.scheduled,
      sent: row.sent,
      failed: row.failed,
      oldestOverdueAt: row.oldest,
      failedLastDay: row.failed_last_day,
    }
  },
})

export default processInboundMessageJob

/** The job of a stored message: due at once. */
export function inboundJob(message: InboundMessageRef): QueuedJob<ProcessInboundPayload> {
  return processInboundMessageJob.build(message.id, { messageId: message.id }, Date.now())
}
