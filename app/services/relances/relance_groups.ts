import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import { lockOwnerOf } from '#support/row_locks'
import { loadInTurn } from '#support/load_in_turn'

/** Jobs may fire a little early; what is due within this margin is due now. */
export const EARLY_MARGIN_MS = 1_000

/**
 * The relances that go out together with one due at `at`: those scheduled
 * from the start of that day (the user's calendar day) up to `at` itself.
 * One client, one email a day.
 */
export function dueTogetherWindow(at: DateTime, timezone: string) {
  return {
    from: at.setZone(timezone).startOf('day'),
    to: at.plus({ milliseconds: EARLY_MARGIN_MS }),
  }
}

/** The step an email covering these relances is worded as: the highest. */
export function groupStep(relances: Pick<Relance, 'sequence'>[]) {
  return Math.max(...relances.map((relance) => relance.sequence))
}

/**
 * Locks the relance's client row. Every relance delivery takes this lock
 * before any relance row, so two workers never split one client's email
 * nor send it twice.
 */
export function lockClientOfRelance(relanceId: number, trx: TransactionClientContract) {
  return lockOwnerOf('clients', { table: 'relances', id: relanceId }, trx)
}

/**
 * The other scheduled relances of the same client's pending invoices due
 * together with this one at `at`, with their invoice, user and client;
 * locked when read in a transaction (under the client's lock). A held
 * invoice's relances wait: its own job moves them.
 */
export async function relancesDueWith(
  relance: Relance,
  at: DateTime,
  trx?: TransactionClientContract
): Promise<Relance[]> {
  const { invoice } = relance
  const { from, to } = dueTogetherWindow(at, invoice.user.timezone)
  const query = Relance.query(trx ? { client: trx } : {})
    .whereNot('id', relance.id)
    .where('status', 'scheduled')
    .where('scheduled_at', '>=', from.toJSDate())
    .where('scheduled_at', '<=', to.toJSDate())
    .whereIn('invoice_id', (invoices) =>
      invoices
        .from('invoices')
        .select('id')
        .where('client_id', invoice.clientId)
        .where('status', 'pending')
        .where((notHeld) =>
          notHeld.whereNull('hold_reason').orWhere('hold_until', '<=', at.toJSDate())
        )
    )
    .preload('invoice')
    .orderBy('id')
  const relances = await (trx ? query.forUpdate() : query)
  await loadInTurn(
    relances.map(({ invoice: companion }) => companion),
    ['user', 'customer'],
    trx ?? db.connection()
  )
  return relances
}
