import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask from '#models/checkin_task'
import Invoice from '#models/invoice'
import ActivityEvent from '#models/activity_event'
import { forNoKeyUpdate } from '#support/row_locks'
import { hashCheckinToken, looksLikeCheckinToken } from '#services/checkins/checkin_token'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { scheduleCheckinsBeforeNextRelance } from '#services/checkins/checkin_scheduler'
import { liftHold } from '#services/holds/invoice_holds'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'

export type CheckinAnswerChoice = 'paid' | 'pending'
export type CheckinResult = 'paid' | 'pending' | 'already_answered' | 'expired' | 'invalid'

/**
 * Records the freelancer's answer to a check-in. The task row is locked, so
 * concurrent clicks, or paid racing pending, record exactly one answer. A
 * link whose invoice is no longer pending records nothing.
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

  if (!task) return 'invalid'
  if (task.status === 'answered') return 'already_answered'
  if (!task.isAnswerable) return 'invalid'
  if (task.linksExpiredAt(DateTime.now())) return 'expired'

  // Paid or cancelled meanwhile (the SPA, another link): nothing is left to answer
  const invoice = await forNoKeyUpdate(
    Invoice.query({ client: trx }).where('id', task.invoiceId)
  ).firstOrFail()
  if (!invoice.isPending) return 'already_answered'

  await task.recordAnswer(choice === 'paid' ? 'paid' : 'still_pending', trx)
  if (choice === 'paid') {
    // Paid ends the hold the client's signal placed, as any payment does
    await markInvoicePaid(invoice, { via: 'checkin' }, trx)
    await recordWebhookEvent('checkin.answered', invoice.id, { answer: 'paid' }, trx)
    return 'paid'
  }
  const isSignal = task.reason === 'payment_reported' || task.reason === 'client_replied'
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'checkin_answered',
      label: isSignal
        ? `Invoice ${invoice.number} not received yet: relances resume`
        : `Invoice ${invoice.number} not paid yet: relances go on`,
      metadata: { answer: 'still_pending', reason: task.reason },
    },
    trx
  )
  // "Not received": the hold the signal placed ends (unless a later one replaced it)
  if (isSignal && invoice.holdReason === task.reason) {
    await liftHold(invoice, trx)
  } else {
    await scheduleCheckinsBeforeNextRelance([invoice.id], trx)
  }
  await recordWebhookEvent('checkin.answered', invoice.id, { answer: 'still_pending' }, trx)
  return 'pending'
}
