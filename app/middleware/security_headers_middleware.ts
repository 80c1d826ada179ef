import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import env from '#start/env'

/** Behind https, browsers are told to come back over https only, for a year. */
const strictTransportSecurity = env.get('APP_URL').startsWith('https:')
  ? 'max-age=31536000; includeSubDomains'
  : null

/**
 * Headers every response carries, errors and CORS preflights included: set
 * before anything else runs, they survive whatever answers the request.
 */
export default class SecurityHeadersMiddleware {
  handle({ response }: HttpContext, next: NextFn) {
    response.header('X-Content-Type-Options', 'nosniff')
    if (strictTransportSecurity)
      response.header('Strict-Transport-Security', strictTransportSecurity)
    // CORS answers depend on the Origin: a shared cache must not serve one origin's to another
    response.header('Vary', 'Origin')
    return next()
  }
}
