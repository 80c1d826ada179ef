/*
| The access-token check of @adonisjs/auth as the baselines do it with pg
| alone: select the token, update last_used_at, compare the hash, select the user.
*/
import { createHash, timingSafeEqual } from 'node:crypto'
import type pg from 'pg'

/** The user behind a bearer token, as @adonisjs/auth checks it; null when refused. */
export async function authenticate(
  pool: pg.Pool,
  header: string | undefined
): Promise<Record<string, any> | null> {
  const match = /^Bearer oat_([^.]+)\.(.+)$/.exec(header ?? '')
  if (!match) return null
  const id = Buffer.from(match[1], 'base64url').toString()
  const secret = Buffer.from(match[2], 'base64url').toString()
  const {
    rows: [token],
  } = await pool.query(
    'select * from "auth_access_tokens" where "id" = $1 and "type" = $2 limit $3',
    [id, 'auth_token', 1]
  )
  if (!token) return null
  await pool.query(
    'update "auth_access_tokens" set "last_used_at" = $1 where "id" = $2 and "type" = $3',
    [new Date(), token.id, token.type]
  )
  const expected = Buffer.from(token.hash)
  const actual = Buffer.from(createHash('sha256').update(secret).digest('hex'))
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null
  if (token.expires_at && token.expires_at < new Date()) return null
  const {
    rows: [user],
  } = await pool.query('select * from "users" where "id" = $1 limit $2', [token.tokenable_id, 1])
  return user ?? null
}
