import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Client, { type EmailStatus } from '#models/client'
import type User from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import { findOwned } from '#support/owned_records'
import { modelsFromRows } from '#support/bulk_rows'
import {
  followClientAddressRestored,
  followClientPause,
} from '#services/invoices/invoice_follow_ups'

/**
 * Returns the user's clients with these emails (case-insensitive), keyed by
 * lowercased email, creating the missing ones: one INSERT and one SELECT
 * whatever the number of clients. An existing client keeps its name; a new
 * one takes the first name given for its email and the user's locale.
 * Concurrent creations of one client meet on the unique index.
 */
export async function findOrCreateClients(
  user: Pick<User, 'id' | 'locale'>,
  clients: { name: string; email: string }[],
  trx: TransactionClientContract
): Promise<Map<string, Client>> {
  const wanted = new Map<string, { name: string; email: string }>()
  for (const { name, email } of clients) {
    const lowered = email.toLowerCase()
    if (!wanted.has(lowered)) wanted.set(lowered, { name, email: lowered })
  }
  if (wanted.size === 0) return new Map()
  const emails = JSON.stringify([...wanted.keys()])
  // The app's clock, not PostgreSQL's now(): one clock for every time the app compares
  const now = new Date()
  await trx.rawQuery(
    `INSERT INTO clients (user_id, name, email, locale, created_at, updated_at)
     SELECT ?, name, email, ?, ?::timestamptz, ?::timestamptz
     FROM json_to_recordset(?::json) AS client(name text, email text)
     ON CONFLICT (user_id, (lower(email))) DO NOTHING`,
    [user.id, user.locale, now, now, JSON.stringify([...wanted.values()])]
  )
  const rows = await trx
    .from('clients')
    .where('user_id', user.id)
    .whereRaw('lower(email) IN (SELECT json_array_elements_text(?::json))', [emails])
  const found = await modelsFromRows(Client, rows)
  return new Map(found.map((client) => [client.email.toLowerCase(), client]))
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
  return findOwned(Client, userId, clientId, trx)
}

/**
 * Renames a client, changes its address, language or business status,
 * pauses its reminders, or says whether its address works. A relance that
 * falls inside the pause waits for its end when its job fires; a bounced
 * address keeps every relance back until it changes or is set back to `ok`,
 * and what came due meanwhile then goes at the next weekday 09:00.
 */
export async function updateClient(
  client: Client,
  changes: {
    name?: string
    email?: string
    locale?: Client['locale']
    isBusiness?: boolean
    remindersPausedUntil?: DateTime | null
    emailStatus?: EmailStatus
  },
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
  const pauseChanged =
    changes.remindersPausedUntil !== undefined &&
    changes.remindersPausedUntil?.toISODate() !== client.remindersPausedUntil?.toISODate()
  const wasBounced = client.isBounced
  // A new address has not bounced
  const emailStatus = changes.email && changes.email !== client.email ? 'ok' : changes.emailStatus
  await client
    .useTransaction(trx)
    .merge({
      ...changes,
      ...(emailStatus && emailStatus !== client.emailStatus
        ? { emailStatus, emailBouncedAt: emailStatus === 'bounced' ? DateTime.now() : null }
        : {}),
    })
    .save()
  if (pauseChanged) await followClientPause(client.id, trx)
  if (wasBounced && !client.isBounced) await followClientAddressRestored(client, trx)
  return client
}
