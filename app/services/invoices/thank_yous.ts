import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import ThankYou from '#models/thank_you'
import sendThankYouJob, { thankYouJob } from '#jobs/send_thank_you_job'
import { transactionQuery } from '#support/transaction_statements'

/**
 * Promises the client a thank-you for this payment when the user wants
 * them and the client was chased (a relance was sent): a row in the
 * payment's transaction, its job enqueued after commit. At most one per
 * invoice, ever: once one was sent (or failed), or while one waits, paying
 * again after a reopen adds nothing, whatever the client's address is now.
 */
export async function promiseThankYou(
  invoice: Pick<Invoice, 'id' | 'userId' | 'paidAt'>,
  trx: TransactionClientContract
) {
  // Due now by the app's clock, which the job's delay and the reconciler read too
  const now = new Date()
  const { rows } = await transactionQuery(
    trx,
    `INSERT INTO thank_yous (invoice_id, paid_at, status, scheduled_at, created_at, updated_at)
     SELECT $1, $2, 'scheduled', $3::timestamptz, $3::timestamptz, $3::timestamptz
     WHERE EXISTS (SELECT 1 FROM users WHERE id = $4 AND thank_clients_on_payment)
       AND EXISTS (SELECT 1 FROM relances WHERE invoice_id = $1 AND status = 'sent')
       AND NOT EXISTS (SELECT 1 FROM thank_yous WHERE invoice_id = $1 AND status <> 'cancelled')
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [invoice.id, invoice.paidAt!.toJSDate(), now, invoice.userId]
  )
  const promised = ThankYou.$createMultipleFromAdapterResult(rows)
  sendThankYouJob.enqueueAfterCommit(trx, promised.map(thankYouJob))
  return promised[0] ?? null
}

/**
 * A reopened invoice was not paid after all: the thank-you still waiting
 * for that payment will not go (a later payment may promise one again).
 */
export async function withdrawThankYou(invoiceId: number, trx: TransactionClientContract) {
  await trx
    .from('thank_yous')
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .update({ status: 'cancelled', updated_at: new Date() })
}
