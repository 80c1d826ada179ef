import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { QueryResult, QueryResultRow } from 'pg'
import { statementOn } from '#support/pool_statements'

/**
 * Runs one statement of a Lucid transaction on the pg connection knex
 * holds for that transaction, as `trx.rawQuery` would, without knex's
 * per-statement machinery (statementOn): on the check-in click, whose ten
 * statements went through it, that was a fifth of the web's CPU per click.
 * The transaction stays Lucid's: BEGIN, COMMIT or ROLLBACK and the
 * after-commit hooks are untouched; a failing statement rejects the
 * transaction's callback as before; knex's `query` event still reports the
 * statement. Placeholders are pg's own ($1, $2…). For measured hot paths
 * only: everything else keeps `trx.rawQuery`.
 */
export function transactionQuery<Row extends QueryResultRow = QueryResultRow>(
  trx: TransactionClientContract,
  sql: string,
  values: unknown[]
): Promise<QueryResult<Row>> {
  // As knex does: no statement on a transaction that has already ended
  if (trx.isCompleted) return Promise.reject(new Error('Transaction query already complete'))
  // A transaction's knex client hands out the one connection it holds
  return statementOn<Row>(trx.knexClient.client, sql, values)
}

/**
 * One row's columns written by one UPDATE through transactionQuery: the
 * writes of models' changes on plain rows (Invoice.savedColumns) on the
 * hot paths.
 */
export function updateRowInTransaction(
  trx: TransactionClientContract,
  table: string,
  id: number,
  columns: Record<string, unknown>
) {
  const names = Object.keys(columns)
  return transactionQuery(
    trx,
    `UPDATE ${table} SET ${names.map((name, index) => `"${name}" = $${index + 1}`).join(', ')}
     WHERE id = $${names.length + 1}`,
    [...Object.values(columns), id]
  )
}
