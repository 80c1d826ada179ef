/*
| The check-in a client's signal schedules (a reported payment, a reply), as
| the app's insertScheduledRows writes it: the same statement, so the
| baselines that record a signal (baseline_client_page.ts, bare_inbound.ts)
| pay for the same SQL as the app.
*/
import type pg from 'pg'

export async function insertSignalCheckin(
  client: pg.PoolClient,
  now: Date,
  row: {
    invoiceId: number
    tokenHash: string
    reason: 'payment_reported' | 'client_replied'
    signal: Record<string, unknown>
    expiresAt: Date
    scheduledMs: number
  }
): Promise<{ id: number; invoice_id: number; scheduled_at: Date }> {
  const {
    rows: [task],
  } = await client.query(
    `INSERT INTO checkin_tasks (invoice_id, token_hash, reason, signal, expires_at, status, scheduled_at, created_at, updated_at)
     SELECT invoice_id, token_hash, reason, signal, expires_at, 'scheduled', to_timestamp(scheduled_ms / 1000.0), $1::timestamptz,
            $2::timestamptz
     FROM json_to_recordset($3::json) AS row(invoice_id int, token_hash text, reason text, signal jsonb, expires_at timestamptz, scheduled_ms bigint)
     RETURNING id, invoice_id, scheduled_at`,
    [
      now,
      now,
      JSON.stringify([
        {
          invoice_id: row.invoiceId,
          token_hash: row.tokenHash,
          reason: row.reason,
          signal: row.signal,
          expires_at: row.expiresAt.toISOString(),
          scheduled_ms: row.scheduledMs,
        },
      ]),
    ]
  )
  return task
}
