import logger from '@adonisjs/core/services/logger'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'
import { settledScheduledRows, type ScheduledRowRef } from '#support/scheduled_rows'
import { describeMailError, isPermanentMailError } from '#mails/mail_errors'

export type SendClientNoticePayload = { noticeId: number; invoiceId: number }

/**
 * The freelancer's notice of a client's promise or dispute: one job per
 * `client_notices` row, sent at once.
 */
const sendClientNoticeJob: QueueJob<SendClientNoticePayload, ScheduledRowRef> = defineJob({
  name: 'send-client-notice',
  idPrefix: 'client-notice',

  async handle(job) {
    const { noticeId } = job.data
    if (!Number.isInteger(noticeId)) {
      logger.warn({ jobId: job.id }, 'client notice job with an unreadable payload skipped')
      return 'skipped'
    }
    // Loaded on first use: the web process, which only enqueues, never loads the mail code
    const { deliverClientNotice } = await import('#services/client_page/client_notice_delivery')
    return deliverClientNotice(noticeId)
  },

  isPermanent: isPermanentMailError,
  describeFailure: describeMailError,

  async onExhausted(job, error) {
    if (!Number.isInteger(job.data.noticeId)) return
    const { markClientNoticeFailed } = await import('#services/client_page/client_notice_delivery')
    await markClientNoticeFailed(job.data.noticeId, error.message)
  },

  rebuild: {
    scheduledRows: (page) => settledScheduledRows('client_notices', page),
    jobsFor: async (notices) => notices.map(clientNoticeJob),
  },
})

export default sendClientNoticeJob

export function clientNoticeJob(notice: ScheduledRowRef): QueuedJob<SendClientNoticePayload> {
  return sendClientNoticeJob.forRow(notice, { noticeId: notice.id, invoiceId: notice.invoiceId })
}
