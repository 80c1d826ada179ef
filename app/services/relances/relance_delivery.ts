import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { generateLinkToken } from '#support/link_tokens'
import { composeRelanceEmail } from '#services/relances/relance_composer'
import { recordRelanceEmail } from '#services/relances/relance_emails'
import { relanceMayGoAt, waitsOf } from '#services/relances/relance_waits'
import { clientPageUrl } from '#services/client_page/client_page_links'
import { newReplyAddressing } from '#services/inbound/reply_addresses'
import {
  EARLY_MARGIN_MS,
  lockClientOfRelance,
  relancesDueWith,
} from '#services/relances/relance_groups'
import { deferPastDailyCap, lockSenderOfRelance } from '#services/relances/sending_cap'
import { sendRelanceEmail } from '#mails/mail_dispatcher'
import { recordWebhookEvents } from '#services/webhooks/webhook_events'
import { markClientBounced } from '#services/clients/bounced_addresses'

export type RelanceOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped' }
  /** Not due yet (moved by a pause, a hold, a new due date or the daily cap): wait until `until`. */
  | { kind: 'deferred'; until: DateTime }
  /**
   * Waits for someone to act (a hold until lifted, a bounced address): the
   * row stays scheduled, and lifting it enqueues the job again.
   */
  | { kind: 'held' }

/**
 * Sends the client's relance email if this relance is still due: one email
 * for every relance of the client's pending invoices due today by now and
 * not held, worded as the highest step, every one of them `sent`, and the
 * email recorded with the token of its link to the client's page. A
 * relance that a client's pause, a hold or a new due date moved waits for
 * its new moment; past the user's daily cap of relance emails, it waits for
 * the next weekday.
 */
export async function deliverRelance(relanceId: number): Promise<RelanceOutcome> {
  const link = generateLinkToken()
  // Replies and bounces come back to addresses of this email's own (INBOUND_DOMAIN)
  const addressing = newReplyAddressing()
  const outcome = await deliverScheduledRow({
    model: Relance,
    id: relanceId,
    async lockFirst(id, trx) {
      await lockSenderOfRelance(id, trx)
      await lockClientOfRelance(id, trx)
    },
    async hold(relance, trx) {
      const { invoice } = relance
      const now = DateTime.now()
      const dueAt = relanceMayGoAt(
        relance.scheduledAt,
        waitsOf(invoice, invoice.customer, now),
        invoice.user.timezone
      )
      if (!dueAt) return { kind: 'held' } as const
      if (dueAt.toMillis() - now.toMillis() > EARLY_MARGIN_MS) {
        if (!dueAt.equals(relance.scheduledAt)) {
          await relance.useTransaction(trx).merge({ scheduledAt: dueAt }).save()
        }
        return { kind: 'deferred', until: dueAt } as const
      }
      const nextDay = await deferPastDailyCap(relance, trx)
      return nextDay ? ({ kind: 'deferred', until: nextDay } as const) : null
    },
    companions: (relance, trx) => relancesDueWith(relance, DateTime.now(), trx),
    send: async (relance, companions) => {
      const email = await composeRelanceEmail([relance, ...companions], {
        pageUrl: clientPageUrl(link.plain),
        replyTo: addressing?.replyTo,
      })
      return sendRelanceEmail({
        ...email,
        envelopeFrom: addressing?.envelopeFrom,
        messageId: addressing?.messageId,
      })
    },
    afterSent: async (relances, trx) => {
      await recordRelanceEmail(
        relances,
        {
          linkTokenHash: link.hashed,
          replyTokenHash: addressing?.tokenHash,
          messageId: addressing?.messageId,
        },
        trx
      )
      await recordWebhookEvents(
        'relance.sent',
        relances.map(({ invoiceId, sequence }) => ({ invoiceId, fields: { sequence } })),
        trx
      )
    },
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
 * After its last attempt a relance is `failed`, with the reason, and so is
 * every relance its email covered; the user's feed says so for each. When
 * the client's server refused the address itself (`unknownAddress`, its
 * status code), the client is bounced as a permanent bounce would make it.
 */
export async function markRelanceFailed(
  relanceId: number,
  reason: string,
  unknownAddress: string | null = null
) {
  await db.transaction(async (trx) => {
    await lockClientOfRelance(relanceId, trx)
    const relance = await Relance.query({ client: trx })
      .where('id', relanceId)
      .where('status', 'scheduled')
      .preload('invoice', (invoice) => invoice.preload('user').preload('customer'))
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
    if (unknownAddress) {
      const { customer, user } = relance.invoice
      await markClientBounced(
        customer,
        user,
        {
          address: customer.email,
          status: unknownAddress,
          cause: 'unknown_address',
          invoices: [...new Map(covered.map(({ invoice }) => [invoice.id, invoice])).values()],
        },
        trx
      )
    }
  })
}
