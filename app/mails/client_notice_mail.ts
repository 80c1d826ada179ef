import { BaseMail } from '@adonisjs/mail'
import { DateTime } from 'luxon'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import type ClientNotice from '#models/client_notice'
import {
  BOUNCE_NOTICE_TEXTS,
  DISPUTE_NOTICE_TEXTS,
  PROMISE_NOTICE_TEXTS,
  REPLY_NOTICE_TEXTS,
  bounceReason,
  type ClientNoticeValues,
} from '#mails/client_notice_mail_texts'
import { formatAmount, formatShortDate } from '#mails/formatting'
import { displayName } from '#mails/display_name'
import { quotedReplyLines } from '#mails/quoted_reply'

/**
 * What a client said, to the freelancer, in the freelancer's language: a
 * promised date, a dispute or a reply about settled invoices quoted as
 * plain text with Reply-To the client; or that the client's address
 * bounced, and why.
 */
export default class ClientNoticeMail extends BaseMail {
  constructor(
    private readonly user: Pick<User, 'email' | 'fullName' | 'locale' | 'timezone'>,
    private readonly invoice: Pick<Invoice, 'number' | 'amountCents' | 'currency'>,
    private readonly client: Pick<Client, 'name' | 'email'>,
    private readonly notice: Pick<ClientNotice, 'kind' | 'details'>
  ) {
    super()
  }

  prepare() {
    const { user, invoice, client, notice } = this
    const values = {
      userName: user.fullName,
      clientName: client.name,
      clientEmail: client.email,
      invoiceNumber: invoice.number,
      amount: formatAmount(invoice.amountCents, invoice.currency, user.locale),
    }
    const { subject, lines } = this.#text(values)
    this.message.to(user.email, displayName(user.fullName)).subject(subject).text(lines.join('\n'))
    if (notice.kind === 'dispute' || notice.kind === 'reply') {
      this.message.replyTo(client.email, displayName(client.name))
    }
  }

  #text(values: ClientNoticeValues) {
    const { user, notice } = this
    const { details } = notice
    const date = (iso: string, days = 0) =>
      formatShortDate(DateTime.fromISO(iso).plus({ days }), user.locale)
    const invoiceNumbers = details.invoiceNumbers ?? [values.invoiceNumber]
    switch (notice.kind) {
      case 'promise':
        return PROMISE_NOTICE_TEXTS[user.locale]({
          ...values,
          promisedOn: date(details.promisedOn!),
          resumesOn: date(details.promisedOn!, 1),
        })
      case 'dispute':
        return DISPUTE_NOTICE_TEXTS[user.locale]({ ...values, message: details.message ?? '' })
      case 'reply':
        return REPLY_NOTICE_TEXTS[user.locale]({
          ...values,
          invoiceNumbers,
          quote: details.reply ? quotedReplyLines(details.reply, user) : [],
        })
      case 'bounce':
        return BOUNCE_NOTICE_TEXTS[user.locale]({
          ...values,
          address: details.address ?? values.clientEmail,
          reason: bounceReason(details.cause ?? 'other', details.status, user.locale),
          invoiceNumbers,
        })
    }
  }
}
