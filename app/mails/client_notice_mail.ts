import { BaseMail } from '@adonisjs/mail'
import { DateTime } from 'luxon'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import type ClientNotice from '#models/client_notice'
import { DISPUTE_NOTICE_TEXTS, PROMISE_NOTICE_TEXTS } from '#mails/client_notice_mail_texts'
import { formatAmount, formatShortDate } from '#mails/formatting'
import { displayName } from '#mails/display_name'

/**
 * What a client said on its page, to the freelancer, in the freelancer's
 * language: a promised date, or a dispute quoted as plain text with
 * Reply-To the client.
 */
export default class ClientNoticeMail extends BaseMail {
  constructor(
    private readonly user: Pick<User, 'email' | 'fullName' | 'locale'>,
    private readonly invoice: Pick<Invoice, 'number' | 'amountCents' | 'currency'>,
    private readonly client: Pick<Client, 'name' | 'email'>,
    private readonly notice: Pick<ClientNotice, 'kind' | 'details'>
  ) {
    super()
  }

  prepare() {
    const { user, invoice, client, notice } = this
    const date = (iso: string, days = 0) =>
      formatShortDate(DateTime.fromISO(iso).plus({ days }), user.locale)
    const values = {
      userName: user.fullName,
      clientName: client.name,
      clientEmail: client.email,
      invoiceNumber: invoice.number,
      amount: formatAmount(invoice.amountCents, invoice.currency, user.locale),
    }
    const { subject, lines } =
      notice.kind === 'promise'
        ? PROMISE_NOTICE_TEXTS[user.locale]({
            ...values,
            promisedOn: date(notice.details.promisedOn!),
            resumesOn: date(notice.details.promisedOn!, 1),
          })
        : DISPUTE_NOTICE_TEXTS[user.locale]({ ...values, message: notice.details.message ?? '' })
    this.message.to(user.email, displayName(user.fullName)).subject(subject).text(lines.join('\n'))
    if (notice.kind === 'dispute') this.message.replyTo(client.email, displayName(client.name))
  }
}
