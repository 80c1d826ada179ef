import { DelayedError } from 'bullmq'
import logger from '@adonisjs/core/services/logger'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'
import {
  scheduledRowStatus,
  settledScheduledRows,
  type ScheduledRowRef,
} from '#support/scheduled_rows'
import {
  classifyMailFailure,
  describeMailError,
  isPermanentMailError,
  unknownAddressStatus,
} from '#mails/mail_errors'
import { RELANCE_WAITS_FOR_ACTION_SQL } from '#services/relances/relance_waits'

export type SendRelancePayload = { relanceId: number; invoiceId: number }

/**
 * Relance emails to the client: one job per relance row, at its moment.
 */
const sendRelanceJob: QueueJob<SendRelancePayload, ScheduledRowRef> = defineJob({
  name: 'send-relance',
  idPrefix: 'relance',

  async handle(job, token) {
    const { relanceId } = job.data
    if (!Number.isInteger(relanceId)) {
      logger.warn({ jobId: job.id }, 'relance job with an unreadable payload skipped')
      return 'skipped'
    }
    // Loaded on first use: the web process, which only enqueues, never loads the mail code
    const { deliverRelance } = await import('#services/relances/relance_delivery')
    const outcome = await deliverRelance(relanceId)
    if (outcome.kind === 'deferred') {
      // Same job, later: keeps the deterministic id the reconciler looks for
      await job.moveToDelayed(outcome.until.toMillis(), token)
      throw new DelayedError()
    }
    return outcome.kind
  },

  isPermanent: isPermanentMailError,
  describeFailure: describeMailError,

  /**
   * The relance becomes `failed`, with the reason in plain words, and the
   * user's feed says so; an address the client's server does not know
   * marks the client bounced.
   */
  async onExhausted(job, error) {
    if (!Number.isInteger(job.data.relanceId)) return
    const { markRelanceFailed } = await import('#services/relances/relance_delivery')
    await markRelanceFailed(
      job.data.relanceId,
      classifyMailFailure(error, job.attemptsMade),
      unknownAddressStatus(error)
    )
  },

  rebuild: {
    scheduledRows: (page) =>
      settledScheduledRows('relances', page, { except: RELANCE_WAITS_FOR_ACTION_SQL }),
    jobsFor: async (relances) => relances.map(relanceJob),
  },

  rowStatus: () => scheduledRowStatus('relances', { except: RELANCE_WAITS_FOR_ACTION_SQL }),
})

export default sendRelanceJob

export function relanceJob(relance: ScheduledRowRef): QueuedJob<SendRelancePayload> {
  return sendRelanceJob.forRow(relance, { relanceId: relance.id, invoiceId: relance.invoiceId })
}
