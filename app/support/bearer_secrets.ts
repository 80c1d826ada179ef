import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Whether an Authorization header carries `secret` as a bearer token,
 * compared in constant time (over digests, so the length leaks nothing
 * either).
 */
export function carriesBearerSecret(authorization: string | undefined, secret: string): boolean {
  const match = /^Bearer (.+)$/.exec(authorization ?? '')
  return match !== null && timingSafeEqual(digest(match[1]), digest(secret))
}
