/*
| Calls to the app's API from the bench process, with the bench's client IP.
*/
import { BENCH_HEADERS } from './environment.js'

/** Registers a freelancer on the running web; their id and bearer authorization. */
export async function registerUser(baseUrl: string, fullName: string, email: string) {
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BENCH_HEADERS },
    body: JSON.stringify({ fullName, email, password: 'a-long-password' }),
  })
  if (response.status !== 201) throw new Error(`register answered ${response.status}`)
  const { data } = (await response.json()) as { data: { user: { id: number }; token: string } }
  return { userId: data.user.id, authorization: `Bearer ${data.token}` }
}
