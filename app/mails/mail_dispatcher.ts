import mail from '@adonisjs/mail/services/main'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import CheckinMail, { type CheckinEntry } from '#mails/checkin_mail'
import RelanceMail from '#mails/relance_mail'
import VerificationMail from '#mails/verification_mail'

/**
 * The façade the delivery services send through: one function per email,
 * each sending its mail class.
 */

/** Asks the freelancer (never the client) whether these invoices were paid: one email. */
export function sendCheckinEmail(email: { user: User; checkins: CheckinEntry[] }) {
  return mail.send(new CheckinMail(email.user, email.checkins))
}

/** Reminds the client; replies go to the freelancer. */
export function sendRelanceEmail(email: {
  user: User
  invoice: Invoice
  client: Client
  sequence: number
}) {
  return mail.send(new RelanceMail(email.user, email.invoice, email.client, email.sequence))
}

/** Asks a new user to prove the address is theirs. */
export function sendVerificationEmail(email: { user: User; plainToken: string }) {
  return mail.send(new VerificationMail(email.user, email.plainToken))
}
