/*
| Statements counted on the PostgreSQL side, from the cumulative statistics:
| every statement the list route runs is its own transaction (no BEGIN), so
| the database's committed transactions count statements, and each table's
| seq_scan + idx_scan says which tables they read.
|
| PostgreSQL 15 flushes a backend's pending statistics at most once a second
| and, for an idle backend, up to 10 s later: the caller waits SETTLE_MS
| after the last request before reading.
*/
import pg from 'pg'
import type { BenchResources } from './environment.js'

export const SETTLE_MS = 11_000

export type Counters = { transactions: number; scansByTable: Record<string, number> }

/**
 * One fresh connection per reading; its transactions (connection start and
 * the two SELECTs) are counted too, once it has exited: measure them with two
 * readings in a row and pass them as `own` to perRequest().
 */
export async function readCounters(resources: BenchResources): Promise<Counters> {
  const client = new pg.Client(resources.pg)
  await client.connect()
  try {
    const {
      rows: [database],
    } = await client.query(
      'SELECT xact_commit + xact_rollback AS transactions FROM pg_stat_database WHERE datname = $1',
      [resources.database]
    )
    const { rows: tables } = await client.query(
      `SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans
         FROM pg_stat_user_tables WHERE schemaname = 'public'`
    )
    return {
      transactions: Number(database.transactions),
      scansByTable: Object.fromEntries(tables.map((row) => [row.relname, Number(row.scans)])),
    }
  } finally {
    await client.end()
  }
}

/** Per request, between two readings; `own` is what one reading adds. */
export function perRequest(before: Counters, after: Counters, requests: number, own: number) {
  const scansByTable: Record<string, number> = {}
  for (const [table, scans] of Object.entries(after.scansByTable)) {
    const delta = scans - (before.scansByTable[table] ?? 0)
    if (delta > 0) scansByTable[table] = Math.round((delta / requests) * 100) / 100
  }
  return {
    statements:
      Math.round(((after.transactions - before.transactions - own) / requests) * 100) / 100,
    scansByTable,
  }
}
