import { BaseMail } from '@adonisjs/mail'
import { displayName } from '#mails/display_name'
import { urlFor } from '@adonisjs/core/services/url_builder'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { CHECKIN_DIGEST_TEXTS, CHECKIN_MAIL_TEXTS } from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration } from '#mails/formatting'

/** The absolute paid and pending links of a check-in token. */
export function checkinUrls(plainToken: string) {
  const prefixUrl = env.get('APP_URL').replace(/\/+$/, '')
  return {
    paidUrl: urlFor('checkin.paid', { token: plainToken }, { prefixUrl }),
    pendingUrl: urlFor('checkin.pending', { token: plainToken }, { prefixUrl }),
  }
}

/** One invoice of a check-in email and the plain token of its own task. */
export type CheckinEntry = {
  invoice: Pick<Invoice, 'number' | 'amountCents' | 'currency' | 'dueDate'>
  client: Pick<Client, 'name'>
  plainToken: string
}

/** The freelancer a check-in email goes to. */
export type CheckinRecipient = Pick<User, 'email' | 'fullName' | 'locale'>

/**
 * "Have you been paid?", to the freelancer (never the client), in the
 * freelancer's language: one invoice, or a digest of several, each with the
 * two one-click links of its own task.
 */
export default class CheckinMail extends BaseMail {
  constructor(
    private readonly user: CheckinRecipient,
    private readonly checkins: CheckinEntry[]
  ) {
    super()
  }

  prepare() {
    const { user } = this
    const invoices = this.checkins.map(({ invoice, client, plainToken }) => ({
      invoiceNumber: invoice.number,
      clientName: client.name,
      amount: formatAmount(invoice.amountCents, invoice.currency, user.locale),
      dueDate: formatDate(invoice.dueDate, user.locale),
      ...checkinUrls(plainToken),
    }))
    const common = {
      userName: user.fullName,
      linkLifetime: formatDuration(CheckinTask.LINK_TTL, user.locale),
    }
    const { subject, lines } =
      invoices.length === 1
        ? CHECKIN_MAIL_TEXTS[user.locale]({ ...common, ...invoices[0] })
        : CHECKIN_DIGEST_TEXTS[user.locale]({ ...common, invoices })
    this.message.to(user.email, displayName(user.fullName)).subject(subject).text(lines.join('\n'))
  }
}
