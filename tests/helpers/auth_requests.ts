import type { ApiClient } from '@japa/api-client'

/** A valid POST /api/v1/auth/register body. */
export const registration = {
  fullName: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'correct horse battery',
}

/** POST /api/v1/auth/register with `body`; the caller checks the answer. */
export function register(client: ApiClient, body: Record<string, unknown> = registration) {
  return client.post('/api/v1/auth/register').json(body)
}

/** POST /api/v1/auth/login with `credentials`; the caller checks the answer. */
export function login(client: ApiClient, credentials: Record<string, unknown>) {
  return client.post('/api/v1/auth/login').json(credentials)
}
