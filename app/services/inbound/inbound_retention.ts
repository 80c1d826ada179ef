import db from '@adonisjs/lucid/services/db'
import env from '#start/env'

/** Rows per statement: each pass of the worker frees at most this many at a time. */
const PAGE = 500

/**
 * Drops the raw bytes of the messages processed, or given up on, more than
 * INBOUND_RAW_RETENTION_DAYS ago: a client's whole email, attachments
 * included, does not stay in the database for ever. What processing read
 * stays on the row (`summary`), a reply's quote in its check-in and event.
 * In pages; a row another worker holds is left to the next pass. Returns
 * how many messages it emptied.
 */
export async function dropOldInboundMessageBytes(now: Date = new Date()): Promise<number> {
  const keptSince = new Date(now.getTime() - env.get('INBOUND_RAW_RETENTION_DAYS') * 86_400_000)
  let dropped = 0
  for (;;) {
    const { rows } = await db.rawQuery<{ rows: { id: number }[] }>(
      `UPDATE inbound_messages SET raw = NULL, updated_at = ?
        WHERE id IN (
          SELECT id FROM inbound_messages
           WHERE raw IS NOT NULL AND (processed_at IS NOT NULL OR failed_at IS NOT NULL)
             AND coalesce(processed_at, failed_at) < ?
           LIMIT ?
             FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [now, keptSince, PAGE]
    )
    dropped += rows.length
    if (rows.length < PAGE) return dropped
  }
}
