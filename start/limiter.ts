import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import limiter from '@adonisjs/limiter/services/main'
import { errors } from '@adonisjs/limiter'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

type Middleware = (ctx: HttpContext, next: NextFn) => unknown

/**
 * Rate limits live in Redis. While Redis is down the API keeps serving
 * (PostgreSQL is the source of truth), so a limiter that cannot reach its
 * store lets the request through, with a warning, instead of failing it.
 */
function failOpen(name: string, throttle: Middleware): Middleware {
  return async (ctx, next) => {
    let passed = false
    const proceed = () => {
      passed = true
      return next()
    }
    try {
      return await throttle(ctx, proceed)
    } catch (error) {
      if (passed || error instanceof errors.E_TOO_MANY_REQUESTS) throw error
      logger.warn({ err: error }, `rate limiter "${name}" unavailable: request let through`)
      return next()
    }
  }
}

/**
 * Per client IP, under this deployment's Redis prefix: environments sharing
 * a Redis (development, tests, CI) keep separate counters.
 */
export function limiterKey(scope: string, ctx: HttpContext) {
  return `${env.get('QUEUE_PREFIX')}:${scope}:${ctx.request.ip()}`
}

/** At most `requestsPerMinute` per client IP, failing open while Redis is down. */
function perIpThrottle(scope: string, requestsPerMinute: number) {
  return failOpen(
    scope,
    limiter.define(scope, (ctx) =>
      limiter.allowRequests(requestsPerMinute).every('1 minute').usingKey(limiterKey(scope, ctx))
    )
  )
}

/** Brute force on credentials. */
export const throttleAuth = perIpThrottle('auth', env.get('RATE_LIMIT_AUTH_PER_MINUTE'))

/** Guessing check-in links. */
export const throttleCheckin = perIpThrottle('checkin', env.get('RATE_LIMIT_CHECKIN_PER_MINUTE'))
