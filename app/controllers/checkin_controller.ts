import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { answerCheckin, type CheckinAnswerChoice } from '#services/checkins/checkin_answers'
import { CONFIRMATION_PAGE_CSP, checkinConfirmationPage } from '#views/checkin_confirmation_page'

/**
 * The public links of the check-in email. Every recorded outcome is a
 * redirect to the SPA that never carries the token.
 */
export default class CheckinController {
  async paid(ctx: HttpContext) {
    return this.#respond(ctx, 'paid')
  }

  async pending(ctx: HttpContext) {
    return this.#respond(ctx, 'pending')
  }

  async #respond({ params, request, response }: HttpContext, choice: CheckinAnswerChoice) {
    response
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Robots-Tag', 'noindex')

    // GET routes answer HEAD too: a HEAD (link preview, scanner) changes nothing
    if (request.method() === 'HEAD') return response.noContent()

    // Behind mail link scanners, a GET only shows the page; its button POSTs
    if (request.method() === 'GET' && env.get('CHECKIN_CONFIRMATION') === 'page') {
      return response
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Content-Security-Policy', CONFIRMATION_PAGE_CSP)
        .send(checkinConfirmationPage(choice, String(params.token)))
    }

    const result = await db.transaction((trx) => answerCheckin(String(params.token), choice, trx))
    const location = `${env.get('WEB_URL').replace(/\/+$/, '')}/checkin/${result}`
    // After a POST, 303 makes the browser follow with a GET
    return response
      .redirect()
      .status(request.method() === 'POST' ? 303 : 302)
      .toPath(location)
  }
}
