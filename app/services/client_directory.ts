import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Client from '#models/client'
import ConflictException from '#exceptions/conflict_exception'

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

export function listClients(userId: number, { page = 1, perPage = 20 }) {
  return Client.query()
    .where('user_id', userId)
    .orderBy('name')
    .orderBy('id')
    .paginate(page, perPage)
}

/** The user's client; another user's is a 404. */
export function findClient(userId: number, clientId: number, trx?: TransactionClientContract) {
  const query = Client.query(trx ? { client: trx } : {})
    .where('user_id', userId)
    .where('id', clientId)
  return (trx ? query.forUpdate() : query).firstOrFail()
}

/**
 * Renames a client, changes its address, or pauses its reminders. A relance
 * that falls inside the pause waits for its end when its job fires.
 */
export async function updateClient(
  client: Client,
  changes: { name?: string; email?: string; remindersPausedUntil?: DateTime | null },
  trx: TransactionClientContract
) {
  if (changes.email && changes.email !== client.email) {
    const taken = await Client.query({ client: trx })
      .where('user_id', client.userId)
      .whereRaw('lower(email) = ?', [changes.email])
      .whereNot('id', client.id)
      .first()
    if (taken) throw new ConflictException('Another client already uses this email')
  }
  return client.useTransaction(trx).merge(changes).save()
}
