import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Client from '#models/client'

/**
 * Returns the user's client with this email (case-insensitive), creating it
 * when missing. Concurrent creations of one client meet on the unique index.
 */
export async function findOrCreateClient(
  userId: number,
  details: { name: string; email: string },
  trx: TransactionClientContract
): Promise<Client> {
  const email = details.email.toLowerCase()
  await trx.rawQuery(
    `INSERT INTO clients (user_id, name, email, created_at, updated_at)
     VALUES (?, ?, ?, now(), now())
     ON CONFLICT (user_id, (lower(email))) DO NOTHING`,
    [userId, details.name, email]
  )
  return Client.query({ client: trx })
    .where('user_id', userId)
    .whereRaw('lower(email) = ?', [email])
    .firstOrFail()
}
