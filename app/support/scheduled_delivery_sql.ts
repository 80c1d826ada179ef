/*
| The statement that closes a delivery, as plain text with no import, so the
| benchmark's framework-free worker runs the very same SQL.
*/

/**
 * The rows `sent` and their events in the feed, in one statement whatever
 * the number of rows. Bindings: sent_at, updated_at, the row ids, the
 * events' created_at, the events as a JSON array of {user_id, invoice_id,
 * type, label, metadata}. `table` comes from the code, never from input.
 */
export const markSentWithEventsSql = (table: string) => `WITH sent AS (
    UPDATE ${table} SET status = 'sent', sent_at = ?, updated_at = ? WHERE id = ANY(?::int[])
  )
  INSERT INTO activity_events (user_id, invoice_id, type, label, metadata, created_at)
  SELECT e.user_id, e.invoice_id, e.type, e.label, coalesce(e.metadata, '{}'), ?
    FROM json_to_recordset(?::json)
      AS e(user_id integer, invoice_id integer, type text, label text, metadata jsonb)`
