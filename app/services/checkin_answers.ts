import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask from '#models/checkin_task'
import Invoice from '#models/invoice'
import { recordActivity } from '#services/activity_log'
import { hashCheckinToken, looksLikeCheckinToken } from '#services/checkin_token'
import { markInvoicePaid } from '#services/invoice_payment'

export type CheckinAnswerChoice = 'paid' | 'pending'
export type CheckinResult = 'paid' | 'pending' | 'already_answered' | 'expired' | 'invalid'

/** The links in a check-in email work for this long after it was sent. */
export const CHECKIN_LINK_TTL = { hours: 24 }

/**
 * Records the freelancer's answer to a check-in. The task row is locked, so
 * concurrent clicks, or paid racing pending, record exactly one answer.
 */
export async function answerCheckin(
  plainToken: string,
  choice: CheckinAnswerChoice,
  trx: TransactionClientContract
): Promise<CheckinResult> {
  if (!looksLikeCheckinToken(plainToken)) return 'invalid'
  const task = await CheckinTask.query({ client: trx })
    .where('token_hash', hashCheckinToken(plainToken))
    .forUpdate()
    .first()

  if (!task || !task.sentAt || task.status === 'scheduled' || task.status === 'cancelled') {
    return 'invalid'
  }
  if (task.status === 'answered') return 'already_answered'
  if (DateTime.now() > task.sentAt.plus(CHECKIN_LINK_TTL)) return 'expired'

  await task
    .useTransaction(trx)
    .merge({
      status: 'answered',
      answer: choice === 'paid' ? 'paid' : 'still_pending',
      answeredAt: DateTime.now(),
    })
    .save()

  const invoice = await Invoice.findOrFail(task.invoiceId, { client: trx })
  if (choice === 'paid') {
    if (invoice.status !== 'cancelled') await markInvoicePaid(invoice, { via: 'checkin' }, trx)
    return 'paid'
  }
  await recordActivity(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'checkin_answered',
      label: `Invoice ${invoice.number} not paid yet: relances go on`,
      metadata: { answer: 'still_pending' },
    },
    trx
  )
  return 'pending'
}
