import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { answerCheckin, type CheckinAnswerChoice } from '#services/checkins/checkin_answers'
import { keepLinkPrivate, renderPrivatePage } from '#support/private_pages'

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

  async #respond(ctx: HttpContext, choice: CheckinAnswerChoice) {
    const { params, request, response } = ctx
    keepLinkPrivate(response)

    // GET routes answer HEAD too: a HEAD (link preview, scanner) changes nothing
    if (request.method() === 'HEAD') return response.noContent()

    // Behind mail link scanners, a GET only shows the page; its button POSTs
    if (request.method() === 'GET' && env.get('CHECKIN_CONFIRMATION') === 'page') {
      return this.#confirmationPage(ctx, choice)
    }

    const result = await db.transaction((trx) => answerCheckin(String(params.token), choice, trx))
    const location = `${env.get('WEB_URL').replace(/\/+$/, '')}/checkin/${result}`
    // After a POST, 303 makes the browser follow with a GET
    return response
      .redirect()
      .status(request.method() === 'POST' ? 303 : 302)
      .toPath(location)
  }

  /**
   * Link scanners that fetch the page change nothing; the user's button
   * POSTs the answer to the absolute URL of the link (APP_URL), so the token
   * is in the page body — served no-store and no-referrer, never logged. The
   * answer's redirect lands on the SPA, whose origin the policy allows.
   */
  #confirmationPage(ctx: HttpContext, choice: CheckinAnswerChoice) {
    const token = String(ctx.params.token)
    const action = (route: 'checkin.confirm_paid' | 'checkin.confirm_pending') =>
      urlFor(route, { token }, { prefixUrl: env.get('APP_URL') })
    return renderPrivatePage(
      ctx,
      'checkin_confirmation',
      {
        choice,
        actions: {
          paid: action('checkin.confirm_paid'),
          pending: action('checkin.confirm_pending'),
        },
      },
      { formRedirectsTo: [new URL(env.get('WEB_URL')).origin] }
    )
  }
}
