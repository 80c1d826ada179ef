import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { requestVerification, verifyEmail } from '#services/accounts/email_verification'
import { keepLinkPrivate, renderPrivatePage } from '#support/private_pages'

/**
 * The link of the verification email, and asking for a new one. Mail
 * scanners open links: a GET shows a page whose button POSTs to the same
 * URL, and only that POST verifies, answering like a check-in link: a
 * redirect to the SPA without the token.
 */
export default class EmailVerificationController {
  /** GET and HEAD change nothing; the token is not looked up. */
  async show(ctx: HttpContext) {
    const { params, request, response } = ctx
    keepLinkPrivate(response)
    if (request.method() === 'HEAD') return response.noContent()
    const action = urlFor(
      'email_verification.verify',
      { token: String(params.token) },
      { prefixUrl: env.get('APP_URL') }
    )
    return renderPrivatePage(
      ctx,
      'email_verification_confirmation',
      { action },
      // The answer's redirect lands on the SPA
      { formRedirectsTo: [new URL(env.get('WEB_URL')).origin] }
    )
  }

  /** The button of the page: verifies, then 303 to the SPA. */
  async verify({ params, response }: HttpContext) {
    keepLinkPrivate(response)
    const result = await db.transaction((trx) => verifyEmail(String(params.token), trx))
    const location = `${env.get('WEB_URL').replace(/\/+$/, '')}/email-verification/${result}`
    return response.redirect().status(303).toPath(location)
  }

  async resend({ auth, response }: HttpContext) {
    const user = auth.getUserOrFail()
    await db.transaction((trx) => requestVerification(user, trx))
    return response.accepted({ data: { message: 'A new verification email is on its way' } })
  }
}
