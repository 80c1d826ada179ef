import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel, LucidRow } from '@adonisjs/lucid/types/model'
import type { ActivityEntry } from '#models/activity_event'
import { markSentWithEventsSql } from '#support/scheduled_delivery_sql'
import { loadInTurn } from '#support/load_in_turn'

/**
 * A check-in task or a relance: a row that promises one email about one
 * invoice. A Lucid model with its invoice loaded, or the plain row a
 * delivery's own `claim` reads.
 */
type ScheduledRow = {
  id: number
  isScheduled: boolean
  invoice: { isPending: boolean; user: { maySendEmails: boolean } }
}

/** The rows `sent` and their events in the feed: one round trip per email, or per batch. */
export function markSentWithEvents(
  table: string,
  ids: number[],
  events: ActivityEntry[],
  trx: TransactionClientContract
) {
  const at = new Date()
  return trx.rawQuery(markSentWithEventsSql(table), [
    at,
    at,
    ids,
    at,
    JSON.stringify(
      events.map((event) => ({
        user_id: event.userId,
        invoice_id: event.invoiceId ?? null,
        type: event.type,
        label: event.label,
        metadata: event.metadata ?? {},
      }))
    ),
  ])
}

/**
 * Sends a scheduled row's email, at most once per successful commit. The
 * row stays locked while the email goes out: a second worker holding the
 * same job waits, then finds it `sent`. A crash between the SMTP answer and
 * the commit is the one window in which the email can go twice. Nothing
 * goes out for a row no longer scheduled, whose invoice no longer wants it
 * (by default: no longer pending), or whose user's address is not verified
 * (the row stays scheduled: verifying enqueues it again); `hold` may keep it
 * back for a reason of its own (a rotated token, a pause).
 *
 * The row is the model's, locked FOR UPDATE with its invoice, user and
 * client loaded, unless `claim` locks and reads it itself (in one statement
 * on a hot path).
 *
 * An email that covers several rows (the check-in digest of one user, the
 * relances of one client due the same day) says so with `companions`, the
 * other rows, locked by the hook: they become `sent` with the row, and their
 * own jobs then do nothing. `lockFirst` (or `claim`) serialises the
 * deliveries that could gather the same rows; it locks before the row's own
 * lock, so two workers always lock in one order.
 */
export function deliverScheduledRow<
  Model extends LucidModel,
  Held,
  Row extends ScheduledRow = InstanceType<Model> & ScheduledRow,
>(delivery: {
  model: Model
  id: number
  lockFirst?: (id: number, trx: TransactionClientContract) => Promise<unknown>
  claim?: (id: number, trx: TransactionClientContract) => Promise<Row | null>
  wanted?: (row: Row) => boolean
  hold?: (row: Row, trx: TransactionClientContract) => Promise<Held | null>
  companions?: (row: Row, trx: TransactionClientContract) => Promise<Row[]>
  send: (row: Row, companions: Row[]) => Promise<unknown>
  sentEvent: (row: Row) => ActivityEntry
  /** Runs in the transaction once every row of the email is `sent`. */
  afterSent?: (rows: Row[], trx: TransactionClientContract) => Promise<unknown>
}): Promise<'sent' | 'skipped' | Held> {
  const wanted = delivery.wanted ?? ((row) => row.invoice.isPending)
  const claim =
    delivery.claim ??
    (async (id: number, trx: TransactionClientContract) => {
      await delivery.lockFirst?.(id, trx)
      const row = (await delivery.model
        .query({ client: trx })
        .where('id', id)
        .preload('invoice' as never)
        .forUpdate()
        .first()) as (Row & { invoice: LucidRow }) | null
      if (row) await loadInTurn([row.invoice], ['user', 'customer'], trx)
      return row
    })
  return db.transaction(async (trx) => {
    const row = await claim(delivery.id, trx)
    if (!row || !row.isScheduled || !wanted(row)) return 'skipped'
    if (!row.invoice.user.maySendEmails) return 'skipped'
    const held = await delivery.hold?.(row, trx)
    if (held) return held
    const companions = (await delivery.companions?.(row, trx)) ?? []

    await delivery.send(row, companions)
    const rows = [row, ...companions]
    await markSentWithEvents(
      delivery.model.table,
      rows.map((sent) => sent.id),
      rows.map(delivery.sentEvent),
      trx
    )
    await delivery.afterSent?.(rows, trx)
    return 'sent'
  })
}

/**
 * A row whose email used its last attempt becomes `failed`, with the
 * reason (a thank-you, a client notice); a row no longer scheduled stays.
 */
export async function markScheduledRowFailed<
  Model extends LucidModel & {
    new (): { markFailed(reason: string, trx: TransactionClientContract): Promise<unknown> }
  },
>(model: Model, id: number, reason: string) {
  await db.transaction(async (trx) => {
    const row = await model
      .query({ client: trx })
      .where('id', id)
      .where('status', 'scheduled')
      .forUpdate()
      .first()
    if (row) await (row as InstanceType<Model>).markFailed(reason.slice(0, 1000), trx)
  })
}
