import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import {
  generateLinkToken,
  linkTokenBatch,
  hashLinkToken,
  looksLikeLinkToken,
  rotateLinkTokens,
  writeLinkTokens,
  type LinkTokenColumn,
} from '#support/link_tokens'

/**
 * The token of a check-in's paid and pending links: a link token (32 random
 * bytes in base64url) of which only the SHA-256 is stored.
 */
export const generateCheckinToken = generateLinkToken
export const checkinTokenBatch = linkTokenBatch
export const hashCheckinToken = hashLinkToken
export const looksLikeCheckinToken = looksLikeLinkToken

/**
 * Gives each of these tasks still `scheduled` a new token and returns the
 * plain ones by task id (a lost job's token is gone; a digest sends other
 * links than the tasks' own jobs carry).
 */
export function rotateCheckinTokens(taskIds: number[], client: QueryClientContract) {
  return rotateLinkTokens(CHECKIN_TOKEN, taskIds, client)
}

/** Stores these tasks' new tokens, by task id, on those still `scheduled`. */
export function writeCheckinTokens(
  tokens: Map<number, { hashed: string }>,
  client: QueryClientContract
) {
  return writeLinkTokens(CHECKIN_TOKEN, tokens, client)
}

/** Where a check-in's token hash lives, written only while the task waits. */
export const CHECKIN_TOKEN: LinkTokenColumn = {
  table: 'checkin_tasks',
  column: 'token_hash',
  stillPending: "checkin_tasks.status = 'scheduled'",
}
