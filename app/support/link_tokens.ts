import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { createHash, randomBytes } from 'node:crypto'

/**
 * The tokens of one-click links in emails (check-in answers, address
 * verification) are opaque: 32 random bytes in base64url. Only their
 * SHA-256 is stored, so a database leak does not leak working links.
 */
export function generateLinkToken(): { plain: string; hashed: string } {
  return linkTokenBatch(1)(0)
}

const TOKEN_BYTES = 32

/**
 * `count` link tokens read from the random source at once (a randomBytes
 * call per token, 10,000 in an import, cost tens of milliseconds), each
 * encoded and hashed when taken by its index: a caller working in slices
 * hashes in slices too.
 */
export function linkTokenBatch(
  count: number
): (index: number) => { plain: string; hashed: string } {
  const bytes = randomBytes(count * TOKEN_BYTES)
  return (index) => {
    // Past the batch the slice would be short or empty: never a weak token
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new RangeError(`Token ${index} of a batch of ${count}`)
    }
    const plain = bytes.toString('base64url', index * TOKEN_BYTES, (index + 1) * TOKEN_BYTES)
    return { plain, hashed: hashLinkToken(plain) }
  }
}

export function hashLinkToken(plain: string): string {
  return createHash('sha256').update(plain).digest('hex')
}

/** 32 bytes in base64url are 43 characters of [A-Za-z0-9_-]. */
export function looksLikeLinkToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value)
}

export type LinkTokenColumn = { table: string; column: string; stillPending: string }

/**
 * Gives each of these rows a new link token, in one statement, where
 * `stillPending` (SQL on the table) still holds, and returns the new plain
 * tokens by row id: a row whose plain token is lost (a lost job) or must
 * not be used gets links only this caller knows. Table and column names
 * come from the code, never from input.
 */
export async function rotateLinkTokens(
  target: LinkTokenColumn,
  ids: number[],
  client: QueryClientContract
): Promise<Map<number, string>> {
  const token = linkTokenBatch(ids.length)
  const tokens = new Map(ids.map((id, index) => [id, token(index)]))
  const pending = await writeLinkTokens(target, tokens, client)
  return new Map(
    [...tokens].filter(([id]) => pending.has(id)).map(([id, { plain }]) => [id, plain])
  )
}

/**
 * Stores the hash of these tokens, by row id, where `stillPending` holds,
 * in one statement; returns the ids it wrote. A caller that must send first
 * (a batch of check-ins) writes only what went out.
 */
export async function writeLinkTokens(
  target: LinkTokenColumn,
  tokens: Map<number, { hashed: string }>,
  client: QueryClientContract
): Promise<Set<number>> {
  if (tokens.size === 0) return new Set()
  const hashes = [...tokens].map(([id, { hashed }]) => ({ id, hash: hashed }))
  const { rows: written } = await client.rawQuery<{ rows: { id: number }[] }>(
    writeLinkTokensSql(target),
    [new Date(), JSON.stringify(hashes)]
  )
  return new Set(written.map(({ id }) => id))
}

/**
 * The statement of writeLinkTokens. Bindings: the update's time, the
 * hashes as JSON `[{ id, hash }]`; returns the ids written.
 */
export function writeLinkTokensSql({ table, column, stillPending }: LinkTokenColumn) {
  return `UPDATE ${table} SET ${column} = fresh.hash, updated_at = ?
     FROM json_to_recordset(?::json) AS fresh(id integer, hash text)
     WHERE ${table}.id = fresh.id AND ${stillPending}
     RETURNING ${table}.id`
}
