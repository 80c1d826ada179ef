import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { receivablesOf } from '#services/invoices/receivables'

export default class StatsController {
  /** The user's receivables per currency, as of today in the user's timezone. */
  async show({ auth }: HttpContext) {
    const user = auth.getUserOrFail()
    const today = DateTime.now().setZone(user.timezone).toISODate()!
    return {
      data: {
        asOf: today,
        timezone: user.timezone,
        currencies: await receivablesOf(user, today),
      },
    }
  }
}
