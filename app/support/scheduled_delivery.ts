import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import ActivityEvent, { type ActivityEntry } from '#models/activity_event'
import type Invoice from '#models/invoice'

/** A check-in task or a relance: a row that promises one email about one invoice. */
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
 * goes out for a row no longer scheduled, an invoice no longer pending or
 * a user whose address is not verified;
 * `hold` may keep it back for a reason of its own (a rotated token, a pause).
 */
export function deliverScheduledRow<Model extends LucidModel, Held>(delivery: {
  model: Model
  id: number
  hold?: (
    row: InstanceType<Model> & ScheduledRow,
    trx: TransactionClientContract
  ) => Promise<Held | null>
  send: (row: InstanceType<Model> & ScheduledRow) => Promise<unknown>
  sentEvent: (row: InstanceType<Model> & ScheduledRow) => ActivityEntry
}): Promise<'sent' | 'skipped' | Held> {
  return db.transaction(async (trx) => {
    const row = (await delivery.model
      .query({ client: trx })
      .where('id', delivery.id)
      .preload('invoice' as never, (invoice: any) => invoice.preload('user').preload('customer'))
      .forUpdate()
      .first()) as (InstanceType<Model> & ScheduledRow) | null
    if (!row || !row.isScheduled || !row.invoice.isPending) return 'skipped'
    // The row stays scheduled: verifying the address enqueues it again
    if (!row.invoice.user.maySendEmails) return 'skipped'
    const held = await delivery.hold?.(row, trx)
    if (held) return held

    await delivery.send(row)
    await row.markSent(trx)
    await ActivityEvent.record(delivery.sentEvent(row), trx)
    return 'sent'
  })
}
