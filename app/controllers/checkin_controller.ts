import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import {
  answerCheckin,
  type CheckinAnswerChoice,
  type CheckinResult,
} from '#services/checkin_answers'

/**
 * The public one-click links of the check-in email. Every outcome is a
 * redirect to the SPA that never carries the token.
 */
export default class CheckinController {
  async paid(ctx: HttpContext) {
    return this.#answer(ctx, 'paid')
  }

  async pending(ctx: HttpContext) {
    return this.#answer(ctx, 'pending')
  }

  async #answer({ params, request, response }: HttpContext, choice: CheckinAnswerChoice) {
    response
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Robots-Tag', 'noindex')

    // GET routes answer HEAD too: a HEAD (link preview, scanner) changes nothing
    if (request.method() === 'HEAD') return response.noContent()

    const token = typeof params.token === 'string' ? params.token : ''
    const result: CheckinResult = await db.transaction((trx) => answerCheckin(token, choice, trx))
    return response.redirect().toPath(`${env.get('WEB_URL').replace(/\/+$/, '')}/checkin/${result}`)
  }
}
