import { fileURLToPath } from 'node:url'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'

/** The path of a file of tests/fixtures. */
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/**
 * POST /api/v1/import-batches with a CSV file: a path, or bytes sent as
 * `import.csv`; the caller checks the answer.
 */
export function upload(client: ApiClient, user: User, file: string | Buffer) {
  const request = client.post('/api/v1/import-batches').loginAs(user)
  return typeof file === 'string'
    ? request.file('file', file)
    : request.file('file', file, { filename: 'import.csv', contentType: 'text/csv' })
}

/** Uploads a file that must become a draft; answers the draft. */
export async function draftOf(client: ApiClient, user: User, file: string | Buffer) {
  const response = await upload(client, user, file)
  response.assertStatus(201)
  return response.body().data
}

/** POST /api/v1/import-batches/:id/validate; the caller checks the answer. */
export function validate(client: ApiClient, user: User, batchId: number) {
  return client.post(`/api/v1/import-batches/${batchId}/validate`).loginAs(user)
}
