import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import ActivityEvent, { type ActivityEntry } from '#models/activity_event'
import type Invoice from '#models/invoice'

/** A check-in task, a relance, a thank-you: a row that promises one email about one invoice. */
type ScheduledRow = {
  isScheduled: boolean
  invoice: Invoice
  markSent(trx: TransactionClientContract): Promise<unknown>
}

/**
 * Sends a scheduled row's email, at most once per successful commit. The
 * row stays locked while the email goes out: a second worker holding the
 * same job waits, then finds it `sent`. A crash between the SMTP answer and
 * the commit is the one window in which the email can go twice. Nothing
 * goes out for a row no longer scheduled or whose invoice no longer wants
 * it (by default: no longer pending); `hold` may keep it back for a reason
 * of its own (a rotated token, a pause).
 *
 * A kind that sends several rows in one email (the relances of one client)
 * says so with `lockFirst`, the lock every delivery of that kind takes
 * before any row's (so two workers never claim rows in opposite orders),
 * and `gather`, the other rows the email covers, locked in the transaction:
 * all of them become `sent` with it, and their own jobs then do nothing.
 */
export function deliverScheduledRow<Model extends LucidModel, Held>(delivery: {
  model: Model
  id: number
  lockFirst?: (trx: TransactionClientContract) => Promise<unknown>
  wanted?: (row: InstanceType<Model> & ScheduledRow) => boolean
  hold?: (
    row: InstanceType<Model> & ScheduledRow,
    trx: TransactionClientContract
  ) => Promise<Held | null>
  gather?: (
    row: InstanceType<Model> & ScheduledRow,
    trx: TransactionClientContract
  ) => Promise<(InstanceType<Model> & ScheduledRow)[]>
  send: (
    row: InstanceType<Model> & ScheduledRow,
    companions: (InstanceType<Model> & ScheduledRow)[]
  ) => Promise<unknown>
  sentEvent: (row: InstanceType<Model> & ScheduledRow) => ActivityEntry
}): Promise<'sent' | 'skipped' | Held> {
  const wanted = delivery.wanted ?? ((row) => row.invoice.isPending)
  return db.transaction(async (trx) => {
    await delivery.lockFirst?.(trx)
    const row = (await delivery.model
      .query({ client: trx })
      .where('id', delivery.id)
      .preload('invoice' as never, (invoice: any) => invoice.preload('user').preload('customer'))
      .forUpdate()
      .first()) as (InstanceType<Model> & ScheduledRow) | null
    if (!row || !row.isScheduled || !wanted(row)) return 'skipped'
    const held = await delivery.hold?.(row, trx)
    if (held) return held

    const companions = (await delivery.gather?.(row, trx)) ?? []
    await delivery.send(row, companions)
    for (const sent of [row, ...companions]) {
      await sent.markSent(trx)
      await ActivityEvent.record(delivery.sentEvent(sent), trx)
    }
    return 'sent'
  })
}
