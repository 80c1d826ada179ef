import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import ActivityEvent from '#models/activity_event'
import type { BounceCause } from '#inbound/delivery_reports'
import { bounceReason } from '#mails/client_notice_mail_texts'
import { rescheduleCheckinsBeforeRelance } from '#services/checkins/checkin_scheduler'
import { noticeFreelancer } from '#services/client_page/client_signals'
import { recordWebhookEvents } from '#services/webhooks/webhook_events'

export type AddressBounce = {
  /** The address that refused the mail. */
  address: string
  status: string | null
  cause: BounceCause
  /** The invoices of the email that bounced (locked by the caller). */
  invoices: Pick<Invoice, 'id' | 'number' | 'userId'>[]
  /** The relance email that came back: its relances, sent, become failed. */
  emailId?: number | null
}

/**
 * A client's address refuses mail for good: a permanent bounce came back,
 * or its server refused the address at sending time. The relances of the
 * email are `failed`, with the reason in words; the client becomes
 * `bounced`, so nothing more goes to it until its address changes or the
 * freelancer says it works (its relances wait like a pause, and so does
 * the check-in before them); each invoice of the email gets the event and
 * the webhook; the freelancer hears of it once, the first time. The client
 * row is locked by the caller.
 */
export async function markClientBounced(
  client: Client,
  user: Pick<User, 'timezone'>,
  bounce: AddressBounce,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  const reason = bounceReason(bounce.cause, bounce.status, 'en')
  if (bounce.emailId) {
    const failed: { invoice_id: number; sequence: number }[] = await trx
      .from('relances')
      .where('email_id', bounce.emailId)
      .where('status', 'sent')
      .update({ status: 'failed', failure_reason: reason, updated_at: now.toJSDate() }, [
        'invoice_id',
        'sequence',
      ])
    await recordWebhookEvents(
      'relance.failed',
      failed.map(({ invoice_id: invoiceId, sequence }) => ({
        invoiceId,
        fields: { sequence, reason },
      })),
      trx
    )
  }

  const firstTime = !client.isBounced
  if (firstTime) {
    await client.useTransaction(trx).merge({ emailStatus: 'bounced', emailBouncedAt: now }).save()
    const pending: { id: number }[] = await trx
      .from('invoices')
      .select('id')
      .where('client_id', client.id)
      .where('status', 'pending')
    // The check-ins before the next relances go: no relance leaves while it bounces
    await rescheduleCheckinsBeforeRelance(
      pending.map(({ id }) => id),
      trx
    )
  }

  for (const invoice of bounce.invoices) {
    await ActivityEvent.record(
      {
        userId: invoice.userId,
        invoiceId: invoice.id,
        type: 'client_email_bounced',
        label: `Emails to ${client.name} bounce (${bounce.address}): ${reason}. Relances wait until the address is corrected`,
        metadata: { address: bounce.address, reason, status: bounce.status, cause: bounce.cause },
      },
      trx
    )
  }
  await recordWebhookEvents(
    'client.email_bounced',
    bounce.invoices.map((invoice) => ({
      invoiceId: invoice.id,
      fields: { address: bounce.address, reason },
    })),
    trx
  )
  if (firstTime && bounce.invoices.length > 0) {
    await noticeFreelancer(
      bounce.invoices[0],
      user,
      'bounce',
      {
        address: bounce.address,
        status: bounce.status,
        cause: bounce.cause,
        invoiceNumbers: bounce.invoices.map((invoice) => invoice.number),
      },
      trx,
      now
    )
  }
  return { firstTime }
}
