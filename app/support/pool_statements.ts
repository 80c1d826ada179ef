import db from '@adonisjs/lucid/services/db'
import type { Client, QueryResult, QueryResultRow } from 'pg'

/**
 * Runs one statement on a connection of the default connection's pool, as
 * `db.rawQuery` would, without knex's per-statement machinery (a Raw
 * builder, its compilation into numbered placeholders, its runner and
 * promises): on the client's page, whose two statements went through it,
 * that was about 0.05 ms of CPU per page, a tenth of the web's. The pool
 * stays knex's (its limits, its validation of a connection before handing
 * it out), and inside a global transaction (tests) the statement runs on the
 * transaction's connection, as db.rawQuery's would; knex's `query` event
 * still reports the statement. Placeholders are pg's own ($1, $2…). For
 * measured hot paths only, as transactionQuery (transaction_statements.ts)
 * inside a transaction: everything else keeps `db.rawQuery`.
 */
export async function poolQuery<Row extends QueryResultRow = QueryResultRow>(
  sql: string,
  values: unknown[]
): Promise<QueryResult<Row>> {
  const client = db.connection().getReadClient().client
  const connection: Client = await client.acquireConnection()
  try {
    // knex's `query` event, which those who watch the statements (tests, debugging) listen to
    client.emit('query', { method: 'raw', sql, bindings: values })
    return await connection.query<Row>(sql, values)
  } finally {
    client.releaseConnection(connection)
  }
}
