import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { maskSecretPaths } from '#support/secret_paths'

/**
 * One log line per request: method, path (check-in tokens masked), status
 * and duration.
 */
export default class RequestLogMiddleware {
  async handle({ request, response, logger }: HttpContext, next: NextFn) {
    const startedAt = process.hrtime.bigint()
    response.response.once('finish', () => {
      logger.info(
        {
          method: request.method(),
          url: maskSecretPaths(request.url(true)),
          status: response.response.statusCode,
          durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
        },
        'request'
      )
    })
    return next()
  }
}
