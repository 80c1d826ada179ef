import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import User from '#models/user'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import ConflictException from '#exceptions/conflict_exception'
import sendVerificationJob, { verificationJob } from '#jobs/send_verification_job'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendRelanceJob from '#jobs/send_relance_job'
import { generateLinkToken, hashLinkToken, looksLikeLinkToken } from '#support/link_tokens'
import { dueScheduledRowsOfUser } from '#support/scheduled_rows'
import { sendVerificationEmail } from '#mails/mail_dispatcher'

export type VerificationResult = 'verified' | 'already_verified' | 'expired' | 'invalid'

/**
 * Gives the user a new verification link, emailed after commit. The job
 * replaces any earlier one: an older link stops working.
 */
export async function requestVerification(user: User, trx: TransactionClientContract) {
  if (user.emailVerifiedAt) throw new ConflictException('This email address is already verified')
  const token = generateLinkToken()
  await user
    .useTransaction(trx)
    .merge({ emailVerificationTokenHash: token.hashed, emailVerificationSentAt: null })
    .save()
  sendVerificationJob.replaceAfterCommit(trx, [verificationJob(user.id, token.plain)])
}

/** Sends the verification email of the job's token, once; a replaced token sends nothing. */
export function deliverVerification(userId: number, plainToken: string) {
  return db.transaction(async (trx) => {
    const user = await User.query({ client: trx }).where('id', userId).forUpdate().first()
    if (!user || user.emailVerifiedAt || user.emailVerificationSentAt) return 'skipped'
    if (user.emailVerificationTokenHash !== hashLinkToken(plainToken)) return 'skipped'
    await sendVerificationEmail({ user, plainToken })
    await user.useTransaction(trx).merge({ emailVerificationSentAt: DateTime.now() }).save()
    return 'sent'
  })
}

/**
 * The check-ins and relances that came due while the user could not send:
 * enqueued again at once, a check-in with a fresh token.
 */
async function releaseDueRows(userId: number, trx: TransactionClientContract) {
  sendCheckinJob.rebuildAfterCommit(trx, await dueScheduledRowsOfUser(CheckinTask, userId, trx))
  sendRelanceJob.rebuildAfterCommit(trx, await dueScheduledRowsOfUser(Relance, userId, trx))
}

/**
 * The click on a verification link. The user row is locked, so two clicks
 * verify once; a link works for User.VERIFICATION_TTL after it was sent.
 */
export async function verifyEmail(
  plainToken: string,
  trx: TransactionClientContract
): Promise<VerificationResult> {
  if (!looksLikeLinkToken(plainToken)) return 'invalid'
  const user = await User.query({ client: trx })
    .where('email_verification_token_hash', hashLinkToken(plainToken))
    .forUpdate()
    .first()
  if (!user) return 'invalid'
  if (user.emailVerifiedAt) return 'already_verified'
  const sentAt = user.emailVerificationSentAt
  if (!sentAt) return 'invalid'
  if (DateTime.now() > sentAt.plus(User.VERIFICATION_TTL)) return 'expired'

  await user.useTransaction(trx).merge({ emailVerifiedAt: DateTime.now() }).save()
  await releaseDueRows(user.id, trx)
  return 'verified'
}
