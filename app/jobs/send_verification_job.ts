import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import { defineJob, type QueueJob } from '#queue/job_definition'
import type { QueuedJob } from '#queue/queues'
import { rotateLinkTokens } from '#support/link_tokens'
import { describeMailError, isPermanentMailError } from '#mails/mail_errors'

export type SendVerificationPayload = {
  userId: number
  /** The plain token of the link, encrypted: Redis keeps job data in clear text. */
  encryptedToken: string
}

/** Users whose verification email is promised and not sent yet. */
const awaitingVerificationEmail = () =>
  User.query()
    .whereNull('email_verified_at')
    .whereNotNull('email_verification_token_hash')
    .whereNull('email_verification_sent_at')

/** The verification email of a new account, or the one a user asked again. */
const sendVerificationJob: QueueJob<SendVerificationPayload, User> = defineJob({
  name: 'send-verification',
  idPrefix: 'verification',

  async handle(job) {
    const { userId, encryptedToken } = job.data
    const plainToken =
      typeof encryptedToken === 'string' ? encryption.decrypt<string>(encryptedToken) : null
    if (!Number.isInteger(userId) || typeof plainToken !== 'string') {
      logger.warn({ jobId: job.id }, 'verification job with an unreadable payload skipped')
      return 'skipped'
    }
    const { deliverVerification } = await import('#services/accounts/email_verification')
    return deliverVerification(userId, plainToken)
  },

  isPermanent: isPermanentMailError,
  describeFailure: describeMailError,

  rebuild: {
    scheduledRows: (page) =>
      awaitingVerificationEmail()
        .select('id')
        .where('updated_at', '<', page.settledBefore)
        .where('id', '>', page.afterId)
        .orderBy('id')
        .limit(page.limit),

    /** The plain token of a lost job is gone: each user gets a new link. */
    async jobsFor(users) {
      const tokens = await rotateLinkTokens(
        {
          table: 'users',
          column: 'email_verification_token_hash',
          stillPending:
            'users.email_verified_at IS NULL AND users.email_verification_sent_at IS NULL',
        },
        users.map((user) => user.id),
        db.connection()
      )
      return [...tokens].map(([userId, plain]) => verificationJob(userId, plain))
    },
  },

  async rowStatus() {
    const [awaiting] = await awaitingVerificationEmail()
      .count('* as total')
      .min('updated_at as oldest')
    const sent = await User.query().whereNotNull('email_verification_sent_at').count('* as total')
    const oldest = awaiting.$extras.oldest as Date | null
    return {
      scheduled: Number(awaiting.$extras.total),
      sent: Number(sent[0].$extras.total),
      failed: 0,
      oldestOverdueAt: oldest,
      failedLastDay: 0,
    }
  },
})

export default sendVerificationJob

/** The job that sends a user's verification email, at once. */
export function verificationJob(
  userId: number,
  plainToken: string
): QueuedJob<SendVerificationPayload> {
  return sendVerificationJob.build(
    userId,
    { userId, encryptedToken: encryption.encrypt(plainToken) },
    Date.now()
  )
}
