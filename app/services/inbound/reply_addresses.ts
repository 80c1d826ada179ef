import { randomUUID } from 'node:crypto'
import env from '#start/env'
import { hashLinkToken } from '#support/link_tokens'
import { generateReplyToken, inboundAddress } from '#inbound/inbound_addresses'

/** What a relance email carries so that its replies and bounces come back, and what is kept of it. */
export type ReplyAddressing = {
  replyTo: string
  envelopeFrom: string
  messageId: string
  /** Stored on the email's `relance_emails` row; the plain token lives only in the email. */
  tokenHash: string
}

/**
 * A new relance email's reply and bounce addresses (one token for both)
 * and Message-ID, or null while INBOUND_DOMAIN is unset: replies then go
 * to the user, as before.
 */
export function newReplyAddressing(): ReplyAddressing | null {
  const domain = env.get('INBOUND_DOMAIN')
  if (!domain) return null
  const token = generateReplyToken()
  return {
    replyTo: inboundAddress('reply', token, domain),
    envelopeFrom: inboundAddress('bounce', token, domain),
    messageId: `<relance.${randomUUID()}@${domain}>`,
    tokenHash: hashLinkToken(token),
  }
}

/**
 * What the preview shows as Reply-To: the shape of the address the email
 * will carry (its token is made when it leaves), or null (the user's).
 */
export function previewReplyAddress(): string | null {
  const domain = env.get('INBOUND_DOMAIN')
  return domain ? inboundAddress('reply', 'token', domain) : null
}
