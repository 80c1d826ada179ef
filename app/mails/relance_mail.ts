import { DateTime } from 'luxon'
import { BaseMail } from '@adonisjs/mail'
import env from '#start/env'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { relanceMailText } from '#mails/relance_mail_texts'
import { formatAmount, formatDate } from '#mails/formatting'

/**
 * A reminder to the client, sent in the freelancer's name: visible sender
 * "<full name> via Relance", replies to the freelancer.
 */
export default class RelanceMail extends BaseMail {
  constructor(
    private readonly user: User,
    private readonly invoice: Invoice,
    private readonly client: Client,
    private readonly sequence: number,
    private readonly now: DateTime = DateTime.now()
  ) {
    super()
  }

  prepare() {
    const { user, invoice, client } = this
    const { subject, text } = relanceMailText(user.locale, this.sequence, {
      clientName: client.name,
      invoiceNumber: invoice.number,
      userName: user.fullName,
      amount: formatAmount(invoice.amountCents, invoice.currency, user.locale),
      dueDate: formatDate(invoice.dueDate, user.locale),
      daysLate: invoice.daysLate(user.timezone, this.now),
    })
    this.message
      .from(env.get('MAIL_FROM_ADDRESS'), `${user.fullName} via Relance`)
      .to(client.email, client.name)
      .replyTo(user.email, user.fullName)
      .subject(subject)
      .text(text)
  }
}
