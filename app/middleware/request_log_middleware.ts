import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { maskSecretPaths } from '#support/secret_paths'

/**
 * One log line per request: method, path (the tokens of links masked, the
 * query string left out), status and duration.
 */
export default class RequestLogMiddleware {
  async handle({ request, response, logger }: HttpContext, next: NextFn) {
    // LOG_LEVEL above info (warn, error): no listener, no masked path for a line never written
    if (!logger.isLevelEnabled('info')) return next()
    const startedAt = process.hrtime.bigint()
    response.response.once('finish', () => {
      logger.info(
        {
          method: request.method(),
          url: maskSecretPaths(request.url(false)),
          status: response.response.statusCode,
          durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
        },
        'request'
      )
    })
    return next()
  }
}
