import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import ActivityEvent from '#models/activity_event'
import type { QuotedReply } from '#models/checkin_task'
import { placeHold } from '#services/holds/invoice_holds'
import { createSignalCheckin } from '#services/checkins/checkin_scheduler'
import { noticeFreelancer } from '#services/client_page/client_signals'
import { recordWebhookEvents } from '#services/webhooks/webhook_events'
import type { InboundContext } from '#services/inbound/inbound_context'

/**
 * A client's reply to a relance email: the relances of its invoices still
 * pending wait for the freelancer (hold `client_replied`,
 * CLIENT_SIGNAL_HOLD_DAYS), who gets the reply quoted in a `client_replied`
 * check-in within a minute (joining the digest), paid/pending links per
 * invoice. Invoices all settled already: a plain notice, no hold. Each
 * invoice's feed and webhooks get the excerpt.
 */
export async function recordClientReply(
  context: InboundContext,
  reply: QuotedReply & { excerpt: string },
  { notify }: { notify: boolean },
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
): Promise<{ held: number[]; notified: boolean }> {
  const { email, invoices } = context
  const { excerpt, ...quoted } = reply
  const pending = invoices.filter((invoice) => invoice.isPending)
  const until = now.plus({ days: env.get('CLIENT_SIGNAL_HOLD_DAYS') })
  let notified = false

  for (const invoice of pending) {
    const hold = invoice.activeHold(now)
    // A reply never shortens a hold that lasts longer (a dispute, a promise, the freelancer's own)
    if (!hold || (hold.until !== null && hold.until < until)) {
      await placeHold(invoice, { reason: 'client_replied', until, note: excerpt }, trx, now)
    }
    if (notify) {
      await createSignalCheckin(
        invoice.id,
        { reason: 'client_replied', signal: { note: excerpt, reply: quoted }, expiresAt: until },
        trx
      )
      notified = true
    }
  }
  if (pending.length === 0 && notify && invoices.length > 0) {
    notified = await noticeFreelancer(
      invoices[0],
      email.user,
      'reply',
      { reply: quoted, invoiceNumbers: invoices.map((invoice) => invoice.number) },
      trx,
      now
    )
  }

  for (const invoice of invoices) {
    await ActivityEvent.record(
      {
        userId: invoice.userId,
        invoiceId: invoice.id,
        type: 'client_replied',
        label: invoice.isPending
          ? `${email.customer.name} replied about invoice ${invoice.number}: relances wait for your answer`
          : `${email.customer.name} replied about invoice ${invoice.number}, already settled`,
        metadata: { excerpt, inboundMessageId: reply.messageId },
      },
      trx
    )
  }
  await recordWebhookEvents(
    'client.replied',
    invoices.map((invoice) => ({ invoiceId: invoice.id, fields: { excerpt } })),
    trx
  )
  return { held: pending.map((invoice) => invoice.id), notified }
}

/** An automatic reply (out of office…): the feed says so, nothing else changes. */
export async function recordAutomaticReply(
  context: InboundContext,
  details: { subject: string; marker: string; messageId: number },
  trx: TransactionClientContract
) {
  for (const invoice of context.invoices) {
    await ActivityEvent.record(
      {
        userId: invoice.userId,
        invoiceId: invoice.id,
        type: 'client_auto_reply',
        label: `Automatic reply from ${context.email.customer.name} about invoice ${invoice.number}: "${details.subject}"`,
        metadata: {
          subject: details.subject,
          marker: details.marker,
          inboundMessageId: details.messageId,
        },
      },
      trx
    )
  }
}
