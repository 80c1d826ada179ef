import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ActivityEvent from '#models/activity_event'
import type { DeliveryReport } from '#inbound/delivery_reports'
import { bounceReason } from '#mails/client_notice_mail_texts'
import { markClientBounced } from '#services/clients/bounced_addresses'
import type { InboundContext } from '#services/inbound/inbound_context'

export type BounceOutcome = 'bounced' | 'already_bounced' | 'delayed' | 'other_address'

/**
 * A bounce to the email's `bounce+` address. It counts for the client's
 * address only: a report naming other addresses (a forwarder's, anyone's)
 * changes nothing. For good: the client is bounced (markClientBounced);
 * a delay the sender's server still retries: the feed says so, nothing more.
 */
export async function recordInboundBounce(
  context: InboundContext,
  report: DeliveryReport,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
): Promise<BounceOutcome> {
  const { email, invoices } = context
  const client = email.customer
  const address = client.email.toLowerCase()
  if (report.recipients.length > 0 && !report.recipients.includes(address)) return 'other_address'

  if (!report.permanent) {
    const reason = bounceReason(report.cause, report.status, 'en')
    for (const invoice of invoices) {
      await ActivityEvent.record(
        {
          userId: invoice.userId,
          invoiceId: invoice.id,
          type: 'client_email_delayed',
          label: `Delivery to ${client.name} (${address}) is delayed: ${reason}; their server keeps trying`,
          metadata: { address, reason, status: report.status },
        },
        trx
      )
    }
    return 'delayed'
  }
  const { firstTime } = await markClientBounced(
    client,
    email.user,
    { address, status: report.status, cause: report.cause, invoices, emailId: email.id },
    trx,
    now
  )
  return firstTime ? 'bounced' : 'already_bounced'
}
