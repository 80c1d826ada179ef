import { BaseMail } from '@adonisjs/mail'
import { urlFor } from '@adonisjs/core/services/url_builder'
import env from '#start/env'
import User from '#models/user'
import { VERIFICATION_MAIL_TEXTS } from '#mails/verification_mail_texts'
import { formatDuration } from '#mails/formatting'

/**
 * "Confirm your address", to a new user, with the one link that proves it.
 * It carries no text the user wrote, not even their name: only the address.
 */
export default class VerificationMail extends BaseMail {
  constructor(
    private readonly user: User,
    private readonly plainToken: string
  ) {
    super()
  }

  prepare() {
    const { user } = this
    const { subject, lines } = VERIFICATION_MAIL_TEXTS[user.locale]({
      verifyUrl: urlFor(
        'email_verification.show',
        { token: this.plainToken },
        { prefixUrl: env.get('APP_URL').replace(/\/+$/, '') }
      ),
      linkLifetime: formatDuration(User.VERIFICATION_TTL, user.locale),
    })
    this.message.to(user.email).subject(subject).text(lines.join('\n'))
  }
}
