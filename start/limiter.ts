import env from '#start/env'
import limiter from '@adonisjs/limiter/services/main'

/**
 * Per client IP: brute force on credentials, and link guessing on check-in.
 */
export const throttleAuth = limiter.define('auth', (ctx) =>
  limiter
    .allowRequests(env.get('RATE_LIMIT_AUTH_PER_MINUTE'))
    .every('1 minute')
    .usingKey(`auth_${ctx.request.ip()}`)
)

export const throttleCheckin = limiter.define('checkin', (ctx) =>
  limiter
    .allowRequests(env.get('RATE_LIMIT_CHECKIN_PER_MINUTE'))
    .every('1 minute')
    .usingKey(`checkin_${ctx.request.ip()}`)
)
