import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { requestVerification, verifyEmail } from '#services/accounts/email_verification'
import { keepLinkPrivate } from '#support/private_pages'

/**
 * The link of the verification email, and asking for a new one. The link
 * answers like a check-in link: a redirect to the SPA without the token.
 */
export default class EmailVerificationController {
  async show({ params, request, response }: HttpContext) {
    keepLinkPrivate(response)
    // GET routes answer HEAD too: a HEAD (link preview, scanner) changes nothing
    if (request.method() === 'HEAD') return response.noContent()

    const result = await db.transaction((trx) => verifyEmail(String(params.token), trx))
    const location = `${env.get('WEB_URL').replace(/\/+$/, '')}/email-verification/${result}`
    return response.redirect().status(302).toPath(location)
  }

  async resend({ auth, response }: HttpContext) {
    const user = auth.getUserOrFail()
    await db.transaction((trx) => requestVerification(user, trx))
    return response.accepted({ data: { message: 'A new verification email is on its way' } })
  }
}
