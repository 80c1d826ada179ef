import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { afterPause } from '#support/business_calendar'
import { composeRelanceEmail } from '#services/relances/relance_composer'
import {
  EARLY_MARGIN_MS,
  lockClientOfRelance,
  relancesDueWith,
} from '#services/relances/relance_groups'
import { deferPastDailyCap, lockSenderOfRelance } from '#services/relances/sending_cap'
import { sendRelanceEmail } from '#mails/mail_dispatcher'
import { recordWebhookEvents } from '#services/webhooks/webhook_events'

export type RelanceOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped' }
  /** Not due yet (moved by a pause, a new due date or the daily cap): wait until `until`. */
  | { kind: 'deferred'; until: DateTime }

/**
 * Sends the client's relance email if this relance is still due: one email
 * for every relance of the client's pending invoices due today by now,
 * worded as the highest step, and every one of them `sent`. A relance that
 * a client's pause or a new due date moved waits for its new moment; past the
 * user's daily cap of relance emails, it waits for the next weekday.
 */
export async function deliverRelance(relanceId: number): Promise<RelanceOutcome> {
  const outcome = await deliverScheduledRow({
    model: Relance,
    id: relanceId,
    async lockFirst(id, trx) {
      await lockSenderOfRelance(id, trx)
      await lockClientOfRelance(id, trx)
    },
    async hold(relance, trx) {
      const { invoice } = relance
      const dueAt = afterPause(
        relance.scheduledAt,
        invoice.customer.remindersPausedUntil,
        invoice.user.timezone
      )
      if (dueAt.toMillis() - Date.now() > EARLY_MARGIN_MS) {
        if (!dueAt.equals(relance.scheduledAt)) {
          await relance.useTransaction(trx).merge({ scheduledAt: dueAt }).save()
        }
        return { kind: 'deferred', until: dueAt } as const
      }
      const nextDay = await deferPastDailyCap(relance, trx)
      return nextDay ? ({ kind: 'deferred', until: nextDay } as const) : null
    },
    companions: (relance, trx) => relancesDueWith(relance, DateTime.now(), trx),
    send: async (relance, companions) =>
      sendRelanceEmail(await composeRelanceEmail([relance, ...companions])),
    sentEvent: ({ invoice, sequence }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'relance_sent',
      label: `Relance ${sequence} sent to ${invoice.customer.name} for invoice ${invoice.number}`,
      metadata: { sequence },
    }),
    afterSent: (relances, trx) =>
      recordWebhookEvents(
        'relance.sent',
        relances.map(({ invoiceId, sequence }) => ({ invoiceId, fields: { sequence } })),
        trx
      ),
  })
  return typeof outcome === 'string' ? { kind: outcome } : outcome
}

/**
 * After its last attempt a relance is `failed`, with the reason, and so is
 * every relance its email covered; the user's feed says so for each.
 */
export async function markRelanceFailed(relanceId: number, reason: string) {
  await db.transaction(async (trx) => {
    await lockClientOfRelance(relanceId, trx)
    const relance = await Relance.query({ client: trx })
      .where('id', relanceId)
      .where('status', 'scheduled')
      .preload('invoice', (invoice) => invoice.preload('user'))
      .forUpdate()
      .first()
    if (!relance) return
    const covered = [relance, ...(await relancesDueWith(relance, DateTime.now(), trx))]
    const shortReason = reason.slice(0, 1000)
    for (const failed of covered) {
      await failed.markFailed(shortReason, trx)
      await ActivityEvent.record(
        {
          userId: failed.invoice.userId,
          invoiceId: failed.invoiceId,
          type: 'relance_failed',
          label: `Relance ${failed.sequence} for invoice ${failed.invoice.number} could not be sent`,
          metadata: { sequence: failed.sequence, reason: shortReason },
        },
        trx
      )
    }
    await recordWebhookEvents(
      'relance.failed',
      covered.map(({ invoiceId, sequence }) => ({
        invoiceId,
        fields: { sequence, reason: shortReason },
      })),
      trx
    )
  })
}
