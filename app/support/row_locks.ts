import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * Locks the rows the query selects FOR NO KEY UPDATE: exclusive among
 * writers, like FOR UPDATE, but rows that reference them (events, check-in
 * tasks) can still be inserted meanwhile. A check-in digest holds the
 * user's row and inserts such rows for every invoice it lists, while a
 * payment of one of them holds that invoice and waits for the user's row:
 * with FOR UPDATE on the invoice, the two would deadlock.
 */
export function forNoKeyUpdate<Query extends { knexQuery: { forNoKeyUpdate(): unknown } }>(
  query: Query
): Query {
  query.knexQuery.forNoKeyUpdate()
  return query
}

const OWNER_KEYS = { users: 'user_id', clients: 'client_id' } as const

/**
 * Locks, FOR NO KEY UPDATE, the user or the client a check-in task, a
 * relance or a thank-you belongs to (through its invoice): the deliveries that could send
 * the same rows then run one at a time, and always take their locks in the
 * same order, users before clients.
 */
export function lockOwnerOf(
  owner: keyof typeof OWNER_KEYS,
  row: { table: 'checkin_tasks' | 'relances' | 'thank_yous'; id: number },
  trx: TransactionClientContract
) {
  return trx.rawQuery(
    `SELECT ${owner}.id FROM ${owner}
     JOIN invoices ON invoices.${OWNER_KEYS[owner]} = ${owner}.id
     JOIN ${row.table} ON ${row.table}.invoice_id = invoices.id
     WHERE ${row.table}.id = ?
     FOR NO KEY UPDATE OF ${owner}`,
    [row.id]
  )
}
