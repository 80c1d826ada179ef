import { createHash, randomBytes } from 'node:crypto'

/**
 * The tokens of one-click links in emails (check-in answers, address
 * verification) are opaque: 32 random bytes in base64url. Only their
 * SHA-256 is stored, so a database leak does not leak working links.
 */
export function generateLinkToken(): { plain: string; hashed: string } {
  const plain = randomBytes(32).toString('base64url')
  return { plain, hashed: hashLinkToken(plain) }
}

export function hashLinkToken(plain: string): string {
  return createHash('sha256').update(plain).digest('hex')
}

/** 32 bytes in base64url are 43 characters of [A-Za-z0-9_-]. */
export function looksLikeLinkToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value)
}
