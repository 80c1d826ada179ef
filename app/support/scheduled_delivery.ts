import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import ActivityEvent, { type ActivityEntry } from '#models/activity_event'
import type Invoice from '#models/invoice'

/** A check-in task or a relance: a row that promises one email about one invoice. */
type ScheduledRow = {
  id: number
  isScheduled: boolean
  invoice: Invoice
  markSent(trx: TransactionClientContract): Promise<unknown>
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
 * An email that covers several rows (the check-in digest of one user, the
 * relances of one client due the same day) says so with `companions`, the
 * other rows, locked by the hook: they become `sent` with the row, and their
 * own jobs then do nothing. `lockFirst` serialises the deliveries that could
 * gather the same rows; it runs before the row's own lock, so two workers
 * always lock in one order.
 */
export function deliverScheduledRow<Model extends LucidModel, Held>(delivery: {
  model: Model
  id: number
  lockFirst?: (id: number, trx: TransactionClientContract) => Promise<unknown>
  wanted?: (row: InstanceType<Model> & ScheduledRow) => boolean
  hold?: (
    row: InstanceType<Model> & ScheduledRow,
    trx: TransactionClientContract
  ) => Promise<Held | null>
  companions?: (
    row: InstanceType<Model> & ScheduledRow,
    trx: TransactionClientContract
  ) => Promise<(InstanceType<Model> & ScheduledRow)[]>
  send: (
    row: InstanceType<Model> & ScheduledRow,
    companions: (InstanceType<Model> & ScheduledRow)[]
  ) => Promise<unknown>
  sentEvent: (row: InstanceType<Model> & ScheduledRow) => ActivityEntry
  /** Runs in the transaction once every row of the email is `sent`. */
  afterSent?: (
    rows: (InstanceType<Model> & ScheduledRow)[],
    trx: TransactionClientContract
  ) => Promise<unknown>
}): Promise<'sent' | 'skipped' | Held> {
  const wanted = delivery.wanted ?? ((row) => row.invoice.isPending)
  return db.transaction(async (trx) => {
    await delivery.lockFirst?.(delivery.id, trx)
    const row = (await delivery.model
      .query({ client: trx })
      .where('id', delivery.id)
      .preload('invoice' as never, (invoice: any) => invoice.preload('user').preload('customer'))
      .forUpdate()
      .first()) as (InstanceType<Model> & ScheduledRow) | null
    if (!row || !row.isScheduled || !wanted(row)) return 'skipped'
    if (!row.invoice.user.maySendEmails) return 'skipped'
    const held = await delivery.hold?.(row, trx)
    if (held) return held
    const companions = (await delivery.companions?.(row, trx)) ?? []

    await delivery.send(row, companions)
    const rows = [row, ...companions]
    for (const sent of rows) await sent.markSent(trx)
    await ActivityEvent.recordMany(rows.map(delivery.sentEvent), trx)
    await delivery.afterSent?.(rows, trx)
    return 'sent'
  })
}
