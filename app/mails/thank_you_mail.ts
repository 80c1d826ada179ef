import { BaseMail } from '@adonisjs/mail'
import env from '#start/env'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { THANK_YOU_MAIL_TEXTS } from '#mails/thank_you_mail_texts'
import { formatAmount } from '#mails/formatting'
import { displayName, senderDisplayName } from '#mails/display_name'

/**
 * "Thank you for your payment", to the client, in the client's language,
 * sent as the relances were: "<full name> via Relance", replies to the user.
 */
export default class ThankYouMail extends BaseMail {
  constructor(
    private readonly user: User,
    private readonly invoice: Invoice,
    private readonly client: Client
  ) {
    super()
  }

  prepare() {
    const { user, invoice, client } = this
    const { subject, lines } = THANK_YOU_MAIL_TEXTS[client.locale]({
      clientName: client.name,
      invoiceNumber: invoice.number,
      amount: formatAmount(invoice.amountCents, invoice.currency, client.locale),
      userName: user.fullName,
    })
    this.message
      .from(env.get('MAIL_FROM_ADDRESS'), senderDisplayName(user.fullName))
      .to(client.email, displayName(client.name))
      .replyTo(user.email, displayName(user.fullName))
      .subject(subject)
      .text(lines.join('\n'))
  }
}
