import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask, { type CheckinStatus } from '#models/checkin_task'
import Invoice, { type InvoiceStatus } from '#models/invoice'
import ActivityEvent from '#models/activity_event'
import { hashCheckinToken, looksLikeCheckinToken } from '#services/checkins/checkin_token'
import { markInvoiceRowPaid } from '#services/invoices/mark_invoice_paid'
import { scheduleCheckinsBeforeNextRelance } from '#services/checkins/checkin_scheduler'
import { liftHold } from '#services/holds/invoice_holds'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'
import { transactionQuery } from '#support/transaction_statements'
import { hasWebhookEndpointsSql } from '#services/webhooks/webhook_subscribers_sql'

export type CheckinAnswerChoice = 'paid' | 'pending'
export type CheckinResult = 'paid' | 'pending' | 'already_answered' | 'expired' | 'invalid'

type TaskRow = {
  id: number
  invoice_id: number
  status: CheckinStatus
  reason: CheckinTask['reason']
  sent_at: Date | null
  expires_at: Date | null
}

type InvoiceRow = {
  id: number
  user_id: number
  number: string
  amount_cents: string | number
  currency: string
  status: InvoiceStatus
  has_webhook_endpoints: boolean
}

/**
 * Records the freelancer's answer to a check-in. The task row is locked, so
 * concurrent clicks, or paid racing pending, record exactly one answer. A
 * link whose invoice is no longer pending records nothing.
 *
 * The rows are read plain, the models' rules applied to them (CheckinTask,
 * Invoice): a click that pays hydrates no model, as the invoice list, and
 * its statements go straight to the transaction's connection.
 */
export async function answerCheckin(
  plainToken: string,
  choice: CheckinAnswerChoice,
  trx: TransactionClientContract
): Promise<CheckinResult> {
  if (!looksLikeCheckinToken(plainToken)) return 'invalid'
  const {
    rows: [task],
  } = await transactionQuery<TaskRow>(
    trx,
    `SELECT id, invoice_id, status, reason, sent_at, expires_at FROM checkin_tasks
     WHERE token_hash = $1 LIMIT 1 FOR UPDATE`,
    [hashCheckinToken(plainToken)]
  )

  if (!task) return 'invalid'
  if (task.status === 'answered') return 'already_answered'
  const times = { sentAt: task.sent_at, expiresAt: task.expires_at }
  if (!CheckinTask.isAnswerable({ status: task.status, ...times })) return 'invalid'
  if (CheckinTask.linksExpired(times, new Date())) return 'expired'

  // Paid or cancelled meanwhile (the SPA, another link): nothing is left to answer
  const {
    rows: [row],
  } = await transactionQuery<InvoiceRow>(
    trx,
    `SELECT id, user_id, number, amount_cents, currency, status,
            ${hasWebhookEndpointsSql('invoices.user_id')} AS has_webhook_endpoints
     FROM invoices WHERE id = $1 FOR NO KEY UPDATE`,
    [task.invoice_id]
  )
  if (!row) throw new Error(`check-in task ${task.id}: invoice ${task.invoice_id} not found`)
  if (!Invoice.isPending(row)) return 'already_answered'

  await CheckinTask.recordAnswer(task.id, choice === 'paid' ? 'paid' : 'still_pending', trx)
  if (choice === 'paid') {
    // Paid ends the hold the client's signal placed, as any payment does
    const payable = {
      id: row.id,
      userId: row.user_id,
      number: row.number,
      amountCents: Number(row.amount_cents),
      currency: row.currency,
      status: row.status,
      hasWebhookEndpoints: row.has_webhook_endpoints,
    }
    const answered = { answer: 'paid' } as const
    await markInvoiceRowPaid(
      payable,
      {
        via: 'checkin',
        alsoReported: [{ type: 'checkin.answered', invoiceId: row.id, fields: answered }],
      },
      trx
    )
    return 'paid'
  }
  // Not on the hot path: the hold's rules live on the model
  const invoice = await Invoice.query({ client: trx }).where('id', row.id).firstOrFail()
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
