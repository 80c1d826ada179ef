import { randomBytes } from 'node:crypto'

/**
 * The addresses a relance email carries for what comes back: replies to
 * `reply+<token>@INBOUND_DOMAIN` (its Reply-To), bounces to
 * `bounce+<token>@INBOUND_DOMAIN` (its envelope sender). One token per
 * email, 160 random bits in lowercase base32: mail systems may lowercase a
 * local part, and base32 survives that. Only its SHA-256 is stored.
 */

export type InboundAddressKind = 'reply' | 'bounce'

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
/** 20 bytes are 160 bits: 32 base32 characters, no padding. */
const TOKEN_BYTES = 20
const TOKEN_LENGTH = (TOKEN_BYTES * 8) / 5

/** A fresh reply token: 32 characters of [a-z2-7]. */
export function generateReplyToken(): string {
  const bytes = randomBytes(TOKEN_BYTES)
  let bits = 0
  let value = 0
  let token = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      token += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return token
}

export function inboundAddress(kind: InboundAddressKind, token: string, domain: string) {
  return `${kind}+${token}@${domain}`
}

const LOCAL_PART = new RegExp(`^(reply|bounce)\\+([a-z2-7]{${TOKEN_LENGTH}})$`)

/**
 * The kind and token of an address at `domain`, or null for any other
 * address: the receiver relays nothing, so anything else is refused.
 * Matched without regard to case.
 */
export function parseInboundAddress(
  address: string,
  domain: string
): { kind: InboundAddressKind; token: string } | null {
  const lowered = address.trim().toLowerCase()
  const at = lowered.lastIndexOf('@')
  if (at < 1 || lowered.slice(at + 1) !== domain.toLowerCase()) return null
  const match = LOCAL_PART.exec(lowered.slice(0, at))
  return match ? { kind: match[1] as InboundAddressKind, token: match[2] } : null
}
