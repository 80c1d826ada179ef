import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type Invoice from '#models/invoice'
import { generateLinkToken } from '#support/link_tokens'
import { recordRelanceEmail } from '#services/relances/relance_emails'
import Relance from '#models/relance'

/**
 * Plays a sent relance email of the invoice's client: its `relance_emails`
 * row (sent at `sentAt`), the first relance pointing to it, and the plain
 * token of its page link, which the test knows.
 */
export async function sentRelanceEmailOf(invoice: Invoice, sentAt = DateTime.now()) {
  const token = generateLinkToken()
  const relance = await Relance.query()
    .where('invoice_id', invoice.id)
    .where('sequence', 1)
    .preload('invoice')
    .firstOrFail()
  const emailId = await db.transaction((trx) =>
    recordRelanceEmail([relance], { linkTokenHash: token.hashed }, trx)
  )
  await db.from('relance_emails').where('id', emailId).update({ sent_at: sentAt.toJSDate() })
  await relance.merge({ status: 'sent', sentAt }).save()
  return { token: token.plain, emailId }
}

/** The path of the client's page of a link token. */
export const clientPagePath = (token: string) => `/client/${token}`

/** The path a form of the page posts to. */
export const clientFormPath = (
  token: string,
  invoiceId: number,
  action: 'paid' | 'promise' | 'dispute'
) => `/client/${token}/invoices/${invoiceId}/${action}`
