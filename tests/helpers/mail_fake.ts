import type { FakeMailer } from '@adonisjs/mail'

/** The messages of the mail classes a fake mailer saw sent, in order. */
export function sentMessages(fake: FakeMailer) {
  return fake.mails.sent().map((mail) => mail.message)
}
