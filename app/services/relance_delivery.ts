import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import { recordActivity } from '#services/activity_log'
import { sendRelanceEmail } from '#services/mail_dispatcher'
import { afterPause } from '#services/relance_scheduler'

export type RelanceOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped' }
  /** Not due yet (moved by a pause or a new due date): wait until `until`. */
  | { kind: 'deferred'; until: DateTime }

/** Jobs may fire a little early; what is due within this margin is due now. */
const EARLY_MARGIN_MS = 1_000

/**
 * Sends one relance to the client if it is still due. Like the check-in, the
 * row stays locked while the email goes out, so it is sent once per commit.
 */
export async function deliverRelance(relanceId: number): Promise<RelanceOutcome> {
  return db.transaction(async (trx) => {
    const relance = await Relance.query({ client: trx })
      .where('id', relanceId)
      .preload('invoice', (invoice) => invoice.preload('user').preload('customer'))
      .forUpdate()
      .first()
    if (!relance || relance.status !== 'scheduled') return { kind: 'skipped' }
    const { invoice } = relance
    if (invoice.status !== 'pending') return { kind: 'skipped' }

    const dueAt = afterPause(
      relance.scheduledAt,
      invoice.customer.remindersPausedUntil,
      invoice.user.timezone
    )
    if (dueAt.toMillis() - Date.now() > EARLY_MARGIN_MS) {
      if (!dueAt.equals(relance.scheduledAt)) {
        await relance.useTransaction(trx).merge({ scheduledAt: dueAt }).save()
      }
      return { kind: 'deferred', until: dueAt }
    }

    await sendRelanceEmail({
      user: invoice.user,
      invoice,
      client: invoice.customer,
      sequence: relance.sequence,
    })
    await relance.useTransaction(trx).merge({ status: 'sent', sentAt: DateTime.now() }).save()
    await recordActivity(
      {
        userId: invoice.userId,
        invoiceId: invoice.id,
        type: 'relance_sent',
        label: `Relance ${relance.sequence} sent to ${invoice.customer.name} for invoice ${invoice.number}`,
        metadata: { sequence: relance.sequence },
      },
      trx
    )
    return { kind: 'sent' }
  })
}

/**
 * After its last attempt a relance is `failed`, with the reason, and the
 * user's feed says so.
 */
export async function markRelanceFailed(relanceId: number, reason: string) {
  await db.transaction(async (trx) => {
    const relance = await Relance.query({ client: trx })
      .where('id', relanceId)
      .where('status', 'scheduled')
      .preload('invoice')
      .forUpdate()
      .first()
    if (!relance) return
    await relance
      .useTransaction(trx)
      .merge({ status: 'failed', failureReason: reason.slice(0, 1000) })
      .save()
    await recordActivity(
      {
        userId: relance.invoice.userId,
        invoiceId: relance.invoiceId,
        type: 'relance_failed',
        label: `Relance ${relance.sequence} for invoice ${relance.invoice.number} could not be sent`,
        metadata: { sequence: relance.sequence, reason: reason.slice(0, 1000) },
      },
      trx
    )
  })
}
