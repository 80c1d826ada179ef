import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import type { QueueJob, RowStatus } from '#queue/job_definition'
import { transactionQuery } from '#support/transaction_statements'
import { inStatementChunks } from '#support/time_slices'

/**
 * A table of rows that each promise one job: a `scheduled` row has a job of
 * a deterministic id in its queue.
 */
export type ScheduledRows = {
  table: 'checkin_tasks' | 'relances'
  job: QueueJob
}

/**
 * Inserts `scheduled` rows with a statement per chunk of them, and
 * returns what their jobs are built from (plain values: an import of 10,000
 * invoices inserts 40,000 rows, and hydrating them as models was a quarter
 * of its time). Each row carries its moment as epoch milliseconds: luxon
 * writes years past 9999 as `+010000-…`, which PostgreSQL refuses.
 * `columns` names the other columns with their SQL types; `onConflict`, an
 * ON CONFLICT clause, lets rows that would break a unique index be skipped.
 */
export async function insertScheduledRows(
  kind: ScheduledRows,
  columns: Record<string, string>,
  rows: ({ scheduled_ms: number } & Record<string, unknown>)[],
  trx: TransactionClientContract,
  { onConflict = '' }: { onConflict?: string } = {}
): Promise<ScheduledRowRef[]> {
  if (rows.length === 0) return []
  const names = Object.keys(columns)
  const types = names.map((name) => `${name} ${columns[name]}`)
  // The app's clock, not PostgreSQL's now(): the reconciler's grace compares updated_at with it
  const now = new Date()
  const inserted = await inStatementChunks(rows, async (chunk) => {
    const { rows: returned } = await transactionQuery<ScheduledRowRecord>(
      trx,
      `INSERT INTO ${kind.table} (${names.join(', ')}, status, scheduled_at, created_at, updated_at)
       SELECT ${names.join(', ')}, 'scheduled', to_timestamp(scheduled_ms / 1000.0),
              $1::timestamptz, $2::timestamptz
       FROM json_to_recordset($3::json) AS row(${types.join(', ')}, scheduled_ms bigint)
       ${onConflict}
       RETURNING id, invoice_id, scheduled_at`,
      [now, now, JSON.stringify(chunk)]
    )
    return returned
  })
  return inserted.map(toScheduledRowRef)
}

/**
 * Marks the waiting rows of these invoices cancelled in the transaction and
 * removes their delayed jobs after commit. A job that runs anyway finds its
 * row cancelled and does nothing. One statement whatever the number of
 * kinds (a payment cancels the check-in and the relances at once). Returns
 * the ids cancelled, per kind, in the order of `kinds`.
 */
export async function cancelScheduledRows(
  kinds: ScheduledRows[],
  invoiceIds: number[],
  trx: TransactionClientContract
): Promise<number[][]> {
  if (invoiceIds.length === 0) return kinds.map(() => [])
  const now = new Date()
  const updates = kinds.map(
    (kind, index) =>
      `cancelled_${index} AS (UPDATE ${kind.table} SET status = 'cancelled', updated_at = $1
       WHERE invoice_id = ANY($2::int[]) AND status = 'scheduled' RETURNING id)`
  )
  const { rows } = await transactionQuery<{ kind: number; id: number }>(
    trx,
    `WITH ${updates.join(', ')}
     ${kinds.map((_, index) => `SELECT ${index} AS kind, id FROM cancelled_${index}`).join(' UNION ALL ')}`,
    [now, invoiceIds]
  )
  const ids = kinds.map((_, index) => rows.filter((row) => row.kind === index).map((row) => row.id))
  kinds.forEach((kind, index) => kind.job.removeAfterCommit(trx, ids[index]))
  return ids
}

/** What a row's job is built from: the reconciler reads no more than this. */
export type ScheduledRowRef = { id: number; invoiceId: number; scheduledAt: Date | DateTime }

type ScheduledRowRecord = { id: number; invoice_id: number; scheduled_at: Date }

const toScheduledRowRef = (row: ScheduledRowRecord): ScheduledRowRef => ({
  id: row.id,
  invoiceId: row.invoice_id,
  scheduledAt: row.scheduled_at,
})

/**
 * A page of the settled `scheduled` rows, by id: what the reconciler walks,
 * less those `except` (SQL on the table, from the code) says wait.
 * Plain values, not models: a pass over 100,000 rows would hydrate 100,000
 * models, and their garbage is what grows the worker's heap.
 */
export async function settledScheduledRows(
  table: ScheduledRows['table'] | 'thank_yous' | 'client_notices',
  page: { afterId: number; settledBefore: Date; limit: number },
  { except }: { except?: string } = {}
): Promise<ScheduledRowRef[]> {
  const rows: ScheduledRowRecord[] = await db
    .from(table)
    .select('id', 'invoice_id', 'scheduled_at')
    .where('status', 'scheduled')
    .where('updated_at', '<', page.settledBefore)
    .where('id', '>', page.afterId)
    // An unverified user's rows wait for the verification, which enqueues them
    .if(env.get('EMAIL_VERIFICATION', 'required') !== 'off', (query) =>
      query.whereIn('invoice_id', (invoices) =>
        invoices
          .from('invoices')
          .join('users', 'users.id', 'invoices.user_id')
          .whereNotNull('users.email_verified_at')
          .select('invoices.id')
      )
    )
    // Rows that wait for someone to act have no job to rebuild until then
    .if(except, (query) => query.whereRaw(`NOT (${except})`))
    .orderBy('id')
    .limit(page.limit)
  return rows.map(toScheduledRowRef)
}

/**
 * The rows of an unverified user wait for the verification, not for a
 * worker: they are no lag (the condition leaves them out).
 */
function waitsForVerification(table: string) {
  if (table !== 'checkin_tasks' && table !== 'relances') return ''
  if (env.get('EMAIL_VERIFICATION', 'required') === 'off') return ''
  return ` AND invoice_id IN (SELECT invoices.id FROM invoices
            JOIN users ON users.id = invoices.user_id WHERE users.email_verified_at IS NOT NULL)`
}

/**
 * One table's promises, sends and failures, in one statement; `sentColumn`
 * is when a row's work was done. The lag counts the rows a worker could
 * send now: not those `except` says wait for someone to act (as the
 * reconciler leaves them alone).
 */
export async function scheduledRowStatus(
  table: ScheduledRows['table'] | 'thank_yous' | 'webhook_deliveries',
  {
    sentColumn = 'sent_at',
    except,
  }: { sentColumn?: 'sent_at' | 'delivered_at'; except?: string } = {}
): Promise<RowStatus> {
  const {
    rows: [row],
  } = await db.rawQuery(
    `SELECT count(*) FILTER (WHERE status = 'scheduled')::int AS scheduled,
            count(*) FILTER (WHERE ${sentColumn} IS NOT NULL)::int AS sent,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            min(scheduled_at) FILTER (WHERE status = 'scheduled' AND scheduled_at < ?${waitsForVerification(table)}${except ? ` AND NOT (${except})` : ''})
              AS oldest_overdue_at,
            count(*) FILTER (WHERE status = 'failed' AND updated_at > ?)::int AS failed_last_day
     FROM ${table}`,
    [new Date(), new Date(Date.now() - 24 * 3_600_000)]
  )
  return {
    scheduled: row.scheduled,
    sent: row.sent,
    failed: row.failed,
    oldestOverdueAt: row.oldest_overdue_at,
    failedLastDay: row.failed_last_day,
  }
}

/** A user's `scheduled` rows of pending invoices whose moment has come, read in the transaction. */
export function dueScheduledRowsOfUser<Model extends LucidModel>(
  model: Model,
  userId: number,
  trx: TransactionClientContract
) {
  return model
    .query({ client: trx })
    .where('status', 'scheduled')
    .where('scheduled_at', '<=', new Date())
    .whereIn('invoice_id', (invoices) =>
      invoices.from('invoices').select('id').where('user_id', userId).where('status', 'pending')
    ) as unknown as Promise<InstanceType<Model>[]>
}
