/*
| Calls to the app's API from the bench process, with the bench's client IP.
*/
import type pg from 'pg'
import { BENCH_HEADERS } from './environment.js'

/**
 * Registers a freelancer on the running web, verified as a real user who
 * imports or sends is (an unverified account imports at most 20 rows and
 * is sent nothing): their id and bearer authorization.
 */
export async function registerUser(
  pool: pg.Pool,
  baseUrl: string,
  fullName: string,
  email: string
) {
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BENCH_HEADERS },
    body: JSON.stringify({ fullName, email, password: 'a-long-password' }),
  })
  if (response.status !== 201) throw new Error(`register answered ${response.status}`)
  const { data } = (await response.json()) as { data: { user: { id: number }; token: string } }
  await pool.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [data.user.id])
  return { userId: data.user.id, authorization: `Bearer ${data.token}` }
}
