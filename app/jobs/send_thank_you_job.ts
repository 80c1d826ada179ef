import logger from '@adonisjs/core/services/logger'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'
import {
  scheduledRowStatus,
  settledScheduledRows,
  type ScheduledRowRef,
} from '#support/scheduled_rows'
import { describeMailError, isPermanentMailError } from '#mails/mail_errors'

export type SendThankYouPayload = { thankYouId: number; invoiceId: number }

/**
 * Thank-you emails to the client once paid: one job per `thank_yous` row,
 * that is per payment, under an id made of it.
 */
const sendThankYouJob: QueueJob<SendThankYouPayload, ScheduledRowRef> = defineJob({
  name: 'send-thank-you',
  idPrefix: 'thank-you',

  async handle(job) {
    const { thankYouId } = job.data
    if (!Number.isInteger(thankYouId)) {
      logger.warn({ jobId: job.id }, 'thank-you job with an unreadable payload skipped')
      return 'skipped'
    }
    // Loaded on first use: the web process, which only enqueues, never loads the mail code
    const { deliverThankYou } = await import('#services/invoices/thank_you_delivery')
    return deliverThankYou(thankYouId)
  },

  isPermanent: isPermanentMailError,
  describeFailure: describeMailError,

  async onExhausted(job, error) {
    if (!Number.isInteger(job.data.thankYouId)) return
    const { markThankYouFailed } = await import('#services/invoices/thank_you_delivery')
    await markThankYouFailed(job.data.thankYouId, error.message)
  },

  rebuild: {
    scheduledRows: (page) => settledScheduledRows('thank_yous', page),
    jobsFor: async (thankYous) => thankYous.map(thankYouJob),
  },

  rowStatus: () => scheduledRowStatus('thank_yous'),
})

export default sendThankYouJob

export function thankYouJob(thankYou: ScheduledRowRef): QueuedJob<SendThankYouPayload> {
  return sendThankYouJob.forRow(thankYou, {
    thankYouId: thankYou.id,
    invoiceId: thankYou.invoiceId,
  })
}
