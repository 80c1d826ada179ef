import mail from '@adonisjs/mail/services/main'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import CheckinMail from '#mails/checkin_mail'
import RelanceMail from '#mails/relance_mail'
import ThankYouMail from '#mails/thank_you_mail'
import type { RenderedRelance } from '#mails/relance_content'

/**
 * The façade the delivery services send through: one function per email,
 * each sending its mail class.
 */

/** Asks the freelancer (never the client) whether the invoice was paid. */
export function sendCheckinEmail(email: {
  user: User
  invoice: Invoice
  client: Client
  plainToken: string
}) {
  return mail.send(new CheckinMail(email.user, email.invoice, email.client, email.plainToken))
}

/** Reminds the client, with the text `renderRelance` wrote; replies go to the freelancer. */
export function sendRelanceEmail(relance: RenderedRelance) {
  return mail.send(new RelanceMail(relance))
}

/** Thanks the client for a payment; replies go to the freelancer. */
export function sendThankYouEmail(email: { user: User; invoice: Invoice; client: Client }) {
  return mail.send(new ThankYouMail(email.user, email.invoice, email.client))
}
