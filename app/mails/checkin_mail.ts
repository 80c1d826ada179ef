import { BaseMail } from '@adonisjs/mail'
import { urlFor } from '@adonisjs/core/services/url_builder'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { CHECKIN_MAIL_TEXTS } from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration } from '#mails/formatting'

/** The absolute paid and pending links of a check-in token. */
export function checkinUrls(plainToken: string) {
  const prefixUrl = env.get('APP_URL').replace(/\/+$/, '')
  return {
    paidUrl: urlFor('checkin.paid', { token: plainToken }, { prefixUrl }),
    pendingUrl: urlFor('checkin.pending', { token: plainToken }, { prefixUrl }),
  }
}

/**
 * "Have you been paid?", to the freelancer (never the client), in the
 * freelancer's language, with the two one-click links of the task.
 */
export default class CheckinMail extends BaseMail {
  constructor(
    private readonly user: User,
    private readonly invoice: Invoice,
    private readonly client: Client,
    private readonly plainToken: string
  ) {
    super()
  }

  prepare() {
    const { user, invoice, client } = this
    const { subject, lines } = CHECKIN_MAIL_TEXTS[user.locale]({
      userName: user.fullName,
      invoiceNumber: invoice.number,
      clientName: client.name,
      amount: formatAmount(invoice.amountCents, invoice.currency, user.locale),
      dueDate: formatDate(invoice.dueDate, user.locale),
      linkLifetime: formatDuration(CheckinTask.LINK_TTL, user.locale),
      ...checkinUrls(this.plainToken),
    })
    this.message.to(user.email, user.fullName).subject(subject).text(lines.join('\n'))
  }
}
