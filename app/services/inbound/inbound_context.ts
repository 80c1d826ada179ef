import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import RelanceEmail from '#models/relance_email'
import User from '#models/user'
import Client from '#models/client'
import Invoice from '#models/invoice'
import { forNoKeyUpdate } from '#support/row_locks'

/**
 * The relance email a message came back to, with what its effects change:
 * the user, the client and the invoices the email was about, each locked
 * FOR NO KEY UPDATE in the order every delivery takes them (user, client,
 * invoices), so processing never deadlocks with a send or a click.
 */
export type InboundContext = {
  email: RelanceEmail & { user: User; customer: Client }
  invoices: Invoice[]
}

export async function loadInboundContext(
  emailId: number,
  trx: TransactionClientContract
): Promise<InboundContext | null> {
  const email = await RelanceEmail.query({ client: trx }).where('id', emailId).first()
  if (!email) return null
  const user = await forNoKeyUpdate(User.query({ client: trx }).where('id', email.userId)).first()
  const client = await forNoKeyUpdate(
    Client.query({ client: trx }).where('id', email.clientId)
  ).first()
  if (!user || !client) return null
  const invoices = await forNoKeyUpdate(
    Invoice.query({ client: trx })
      .whereIn('id', (relances) =>
        relances.from('relances').select('invoice_id').where('email_id', email.id)
      )
      .orderBy('id')
  )
  email.$setRelated('user', user)
  email.$setRelated('customer', client)
  return { email: email as InboundContext['email'], invoices }
}
