import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import { hashLinkToken } from '#support/link_tokens'
import { parseInboundAddress } from '#inbound/inbound_addresses'
import processInboundMessageJob, { inboundJob } from '#jobs/process_inbound_message_job'

/**
 * Inbound messages as they arrive, from the SMTP receiver or a provider's
 * webhook alike: which relance email an address belongs to, and the row
 * stored (raw, byte for byte) before anyone is told the message was taken.
 */

/** The largest message taken: the SMTP receiver answers 552 past it, the webhook 413. */
export const MAX_INBOUND_BYTES = 10 * 1024 * 1024

/**
 * The relance email a reply or bounce address belongs to, by the hash of
 * its token; null for any other address, or while INBOUND_DOMAIN is unset.
 */
export async function relanceEmailOfAddress(
  address: string,
  client: QueryClientContract = db.connection()
): Promise<number | null> {
  const domain = env.get('INBOUND_DOMAIN')
  const parsed = domain ? parseInboundAddress(address, domain) : null
  if (!parsed) return null
  const email = await client
    .from('relance_emails')
    .select('id')
    .where('reply_token_hash', hashLinkToken(parsed.token))
    .first()
  return email?.id ?? null
}

/** Whether mail for this address is taken (the receiver's RCPT TO). */
export async function acceptsInboundAddress(address: string) {
  return (await relanceEmailOfAddress(address)) !== null
}

export type ArrivingMessage = {
  recipients: string[]
  raw: Buffer
  source: 'smtp' | 'webhook'
  /** The SMTP envelope sender ('' for a bounce); null through the webhook. */
  envelopeFrom: string | null
}

/**
 * Stores the message once per known recipient, in one transaction, and
 * enqueues each row's processing after commit (the reconciler enqueues it
 * if Redis misses it). Resolves once committed, with the ids stored: none
 * when no recipient is a known address.
 */
export async function storeInboundMessage(message: ArrivingMessage): Promise<number[]> {
  if (message.raw.length > MAX_INBOUND_BYTES) {
    throw new Error(`inbound message of ${message.raw.length} bytes is over the limit`)
  }
  const recipients = [...new Set(message.recipients.map((address) => address.toLowerCase()))]
  return db.transaction(async (trx) => {
    const ids: number[] = []
    const now = new Date()
    for (const recipient of recipients) {
      const emailId = await relanceEmailOfAddress(recipient, trx)
      if (emailId === null) continue
      const [row] = await trx
        .insertQuery()
        .table('inbound_messages')
        .insert({
          received_at: now,
          source: message.source,
          recipient: recipient.slice(0, 320),
          envelope_from: message.envelopeFrom?.slice(0, 320) ?? null,
          relance_email_id: emailId,
          raw: message.raw,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
      ids.push(row.id)
    }
    processInboundMessageJob.enqueueAfterCommit(
      trx,
      ids.map((id) => inboundJob({ id }))
    )
    return ids
  })
}

/** A message whose processing failed every attempt: kept aside with the reason. */
export async function markInboundMessageFailed(messageId: number, reason: string) {
  const now = new Date()
  await db
    .from('inbound_messages')
    .where('id', messageId)
    .whereNull('processed_at')
    .update({ failed_at: now, failure_reason: reason.slice(0, 1000), updated_at: now })
}
