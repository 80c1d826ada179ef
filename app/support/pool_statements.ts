import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { Client, QueryResult, QueryResultRow } from 'pg'

/** The knex client under a Lucid connection or transaction. */
type KnexClient = TransactionClientContract['knexClient']['client']

/**
 * Runs one statement on a pg connection of this knex client, without knex's
 * per-statement machinery (a Raw builder, its compilation into numbered
 * placeholders, its runner and promises). The client hands out a connection
 * of its pool, or, a transaction's client, the one connection it holds (its
 * release is then a no-op). knex's `query` event still reports the
 * statement, for those who watch them (tests, debugging). Placeholders are
 * pg's own ($1, $2…).
 */
export async function statementOn<Row extends QueryResultRow = QueryResultRow>(
  client: KnexClient,
  sql: string,
  values: unknown[]
): Promise<QueryResult<Row>> {
  const connection: Client = await client.acquireConnection()
  try {
    client.emit('query', { method: 'raw', sql, bindings: values })
    return await connection.query<Row>(sql, values)
  } finally {
    client.releaseConnection(connection)
  }
}

/**
 * Runs one statement on a connection of the default connection's pool, as
 * `db.rawQuery` would, through statementOn: on the client's page, whose two
 * statements went through it, knex's machinery was about 0.05 ms of CPU per
 * page, a tenth of the web's. The pool stays knex's (its limits, its
 * validation of a connection before handing it out), and inside a global
 * transaction (tests) the statement runs on the transaction's connection, as
 * db.rawQuery's would. For measured hot paths only, as transactionQuery
 * (transaction_statements.ts) inside a transaction: everything else keeps
 * `db.rawQuery`.
 */
export function poolQuery<Row extends QueryResultRow = QueryResultRow>(
  sql: string,
  values: unknown[]
): Promise<QueryResult<Row>> {
  return statementOn<Row>(db.connection().getReadClient().client, sql, values)
}
