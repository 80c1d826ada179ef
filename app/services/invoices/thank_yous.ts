import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import ThankYou from '#models/thank_you'
import sendThankYouJob, { thankYouJob } from '#jobs/send_thank_you_job'

/**
 * Promises the client a thank-you for this payment when the user wants
 * them and the client was chased (a relance was sent): a row in the
 * payment's transaction, its job enqueued after commit. One payment, one
 * row: a second call for the same payment adds nothing.
 */
export async function promiseThankYou(
  invoice: Pick<Invoice, 'id' | 'userId' | 'paidAt'>,
  trx: TransactionClientContract
) {
  // Due now by the app's clock, which the job's delay and the reconciler read too
  const now = new Date()
  const { rows } = await trx.rawQuery(
    `INSERT INTO thank_yous (invoice_id, paid_at, status, scheduled_at, created_at, updated_at)
     SELECT ?, ?, 'scheduled', ?::timestamptz, ?::timestamptz, ?::timestamptz
     WHERE EXISTS (SELECT 1 FROM users WHERE id = ? AND thank_clients_on_payment)
       AND EXISTS (SELECT 1 FROM relances WHERE invoice_id = ? AND status = 'sent')
     ON CONFLICT (invoice_id, paid_at) DO NOTHING
     RETURNING *`,
    [invoice.id, invoice.paidAt!.toJSDate(), now, now, now, invoice.userId, invoice.id]
  )
  const promised = ThankYou.$createMultipleFromAdapterResult(rows)
  sendThankYouJob.enqueueAfterCommit(trx, promised.map(thankYouJob))
  return promised[0] ?? null
}
