import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { generateLinkToken, hashLinkToken, looksLikeLinkToken } from '#support/link_tokens'

/**
 * The token of a check-in's paid and pending links: a link token (32 random
 * bytes in base64url) of which only the SHA-256 is stored.
 */
export const generateCheckinToken = generateLinkToken
export const hashCheckinToken = hashLinkToken
export const looksLikeCheckinToken = looksLikeLinkToken

/**
 * Gives each of these tasks still `scheduled` a new token, in one
 * statement, and returns the new plain tokens by task id: a task whose
 * plain token is lost (a lost job) or must not be used (a digest sends
 * other links) gets links only this caller knows.
 */
export async function rotateCheckinTokens(
  taskIds: number[],
  client: QueryClientContract
): Promise<Map<number, string>> {
  if (taskIds.length === 0) return new Map()
  const tokens = taskIds.map((id) => ({ id, ...generateCheckinToken() }))
  const { rows: rotated } = await client.rawQuery<{ rows: { id: number }[] }>(
    `UPDATE checkin_tasks SET token_hash = fresh.hash, updated_at = now()
     FROM json_to_recordset(?::json) AS fresh(id integer, hash text)
     WHERE checkin_tasks.id = fresh.id AND checkin_tasks.status = 'scheduled'
     RETURNING checkin_tasks.id`,
    [JSON.stringify(tokens.map(({ id, hashed }) => ({ id, hash: hashed })))]
  )
  const stillScheduled = new Set(rotated.map(({ id }) => id))
  return new Map(
    tokens.filter(({ id }) => stillScheduled.has(id)).map(({ id, plain }) => [id, plain])
  )
}
