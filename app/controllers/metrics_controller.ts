import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { carriesMetricsToken, scrape } from '#metrics/metrics_server'

export default class MetricsController {
  /** The web process's metrics, for a Prometheus that holds METRICS_TOKEN; unset, nothing is here. */
  async show({ request, response }: HttpContext) {
    if (!env.get('METRICS_TOKEN')) {
      return response.notFound({ errors: [{ message: 'Route not found' }] })
    }
    if (!carriesMetricsToken(request.header('authorization'))) {
      response.header('WWW-Authenticate', 'Bearer')
      return response.unauthorized({ errors: [{ message: 'Unauthorized access' }] })
    }
    const { contentType, body } = await scrape()
    response.header('content-type', contentType)
    return body
  }
}
