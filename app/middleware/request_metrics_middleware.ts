import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { httpRequestDuration } from '#metrics/metrics'

/**
 * Times every request into relance_http_request_duration_seconds, labelled
 * by the pattern of the route it matched (`/api/v1/checkin/:token/paid`):
 * never by its path, which may hold a token. Requests no route matched
 * share the label `unmatched`.
 */
export default class RequestMetricsMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const stop = httpRequestDuration.startTimer({ method: ctx.request.method() })
    ctx.response.response.once('finish', () => {
      stop({ route: ctx.route?.pattern ?? 'unmatched', status: ctx.response.response.statusCode })
    })
    return next()
  }
}
