import mail from '@adonisjs/mail/services/main'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import CheckinMail, { type CheckinEntry, type CheckinRecipient } from '#mails/checkin_mail'
import RelanceMail from '#mails/relance_mail'
import VerificationMail from '#mails/verification_mail'
import ThankYouMail from '#mails/thank_you_mail'
import ClientNoticeMail from '#mails/client_notice_mail'
import type ClientNotice from '#models/client_notice'
import type { RenderedRelance } from '#mails/relance_content'
import { mailFailureKind } from '#mails/mail_errors'
import { emailsFailed, emailsSent, type EmailKind } from '#metrics/metrics'

/**
 * The façade the delivery services send through: one function per email,
 * each sending its mail class, and counted by kind (sent, or failed and why).
 */

async function sendCounted(kind: EmailKind, send: () => Promise<unknown>) {
  try {
    const sent = await send()
    emailsSent.inc({ kind })
    return sent
  } catch (error) {
    emailsFailed.inc({ kind, reason: mailFailureKind(error) })
    throw error
  }
}

/** Asks the freelancer (never the client) whether these invoices were paid: one email. */
export function sendCheckinEmail(email: { user: CheckinRecipient; checkins: CheckinEntry[] }) {
  return sendCounted('checkin', () => mail.send(new CheckinMail(email.user, email.checkins)))
}

/** Reminds the client, with the text `renderRelance` wrote; replies go to the freelancer. */
export function sendRelanceEmail(relance: RenderedRelance) {
  return sendCounted('relance', () => mail.send(new RelanceMail(relance)))
}

/** Thanks the client for a payment; replies go to the freelancer. */
export function sendThankYouEmail(email: { user: User; invoice: Invoice; client: Client }) {
  return sendCounted('thank_you', () =>
    mail.send(new ThankYouMail(email.user, email.invoice, email.client))
  )
}

/** Asks a new user to prove the address is theirs. */
export function sendVerificationEmail(email: { user: User; plainToken: string }) {
  return sendCounted('verification', () =>
    mail.send(new VerificationMail(email.user, email.plainToken))
  )
}

/** Tells the freelancer what a client said on its page: a promised date, or a dispute. */
export function sendClientNoticeEmail(email: {
  user: User
  invoice: Invoice
  client: Client
  notice: ClientNotice
}) {
  return mail.send(new ClientNoticeMail(email.user, email.invoice, email.client, email.notice))
}
