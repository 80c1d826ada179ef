import type { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { afterPause } from '#support/business_calendar'
import { sendRelanceEmail } from '#mails/mail_dispatcher'

export type RelanceOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped' }
  /** Not due yet (moved by a pause or a new due date): wait until `until`. */
  | { kind: 'deferred'; until: DateTime }

/** Jobs may fire a little early; what is due within this margin is due now. */
const EARLY_MARGIN_MS = 1_000

/**
 * Sends one relance to the client if it is still due: a relance that a
 * client's pause or a new due date moved waits for its new moment.
 */
export async function deliverRelance(relanceId: number): Promise<RelanceOutcome> {
  const outcome = await deliverScheduledRow({
    model: Relance,
    id: relanceId,
    async hold(relance, trx) {
      const { invoice } = relance
      const dueAt = afterPause(
        relance.scheduledAt,
        invoice.customer.remindersPausedUntil,
        invoice.user.timezone
      )
      if (dueAt.toMillis() - Date.now() <= EARLY_MARGIN_MS) return null
      if (!dueAt.equals(relance.scheduledAt)) {
        await relance.useTransaction(trx).merge({ scheduledAt: dueAt }).save()
      }
      return { kind: 'deferred', until: dueAt } as const
    },
    send: ({ invoice, sequence }) =>
      sendRelanceEmail({ user: invoice.user, invoice, client: invoice.customer, sequence }),
    sentEvent: ({ invoice, sequence }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'relance_sent',
      label: `Relance ${sequence} sent to ${invoice.customer.name} for invoice ${invoice.number}`,
      metadata: { sequence },
    }),
  })
  return typeof outcome === 'string' ? { kind: outcome } : outcome
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
    const shortReason = reason.slice(0, 1000)
    await relance.markFailed(shortReason, trx)
    await ActivityEvent.record(
      {
        userId: relance.invoice.userId,
        invoiceId: relance.invoiceId,
        type: 'relance_failed',
        label: `Relance ${relance.sequence} for invoice ${relance.invoice.number} could not be sent`,
        metadata: { sequence: relance.sequence, reason: shortReason },
      },
      trx
    )
  })
}
