import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { afterCommit, removeJobs, type QueueName } from '#services/job_queue'

/**
 * A table of rows that each promise one job: a `scheduled` row has a job of
 * a deterministic id in its queue.
 */
export type ScheduledRows = {
  table: 'checkin_tasks' | 'relances'
  queue: QueueName
  jobId: (rowId: number) => string
}

/**
 * Marks the waiting rows of these invoices cancelled in the transaction and
 * removes their delayed jobs after commit. A job that runs anyway finds its
 * row cancelled and does nothing.
 */
export async function cancelScheduledRows(
  rows: ScheduledRows,
  invoiceIds: number[],
  trx: TransactionClientContract
): Promise<number> {
  if (invoiceIds.length === 0) return 0
  const cancelled: { id: number }[] = await trx
    .from(rows.table)
    .whereIn('invoice_id', invoiceIds)
    .where('status', 'scheduled')
    .update({ status: 'cancelled', updated_at: new Date() }, ['id'])
  if (cancelled.length > 0) {
    afterCommit(trx, `removing cancelled ${rows.queue} jobs`, (step) =>
      removeJobs(
        rows.queue,
        cancelled.map(({ id }) => rows.jobId(id)),
        step
      )
    )
  }
  return cancelled.length
}
