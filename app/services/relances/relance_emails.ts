import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Relance from '#models/relance'

/**
 * Records a relance email as it left, in the transaction that marks its
 * relances `sent`: one `relance_emails` row (the client, the hash of its
 * page link's token, and what inbound mail needs to recognise replies), and
 * each relance it carried pointing to it.
 */
export async function recordRelanceEmail(
  relances: Pick<Relance, 'id' | 'invoice'>[],
  tokens: { linkTokenHash: string; replyTokenHash?: string | null; messageId?: string | null },
  trx: TransactionClientContract
) {
  const { invoice } = relances[0]
  const now = new Date()
  const [email] = await trx
    .insertQuery()
    .table('relance_emails')
    .insert({
      user_id: invoice.userId,
      client_id: invoice.clientId,
      link_token_hash: tokens.linkTokenHash,
      reply_token_hash: tokens.replyTokenHash ?? null,
      message_id: tokens.messageId ?? null,
      sent_at: now,
      created_at: now,
    })
    .returning('id')
  await trx
    .from('relances')
    .whereIn(
      'id',
      relances.map((relance) => relance.id)
    )
    .update({ email_id: email.id })
  return email.id as number
}
