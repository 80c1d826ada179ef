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
