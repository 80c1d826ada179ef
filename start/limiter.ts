import env from '#start/env'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import limiter from '@adonisjs/limiter/services/main'
import { errors } from '@adonisjs/limiter'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

type Middleware = (ctx: HttpContext, next: NextFn) => unknown

/**
 * Rate limits live in Redis. While Redis is down the API keeps serving
 * (PostgreSQL is the source of truth), so a limiter that cannot reach its
 * store lets the request through, with a warning, instead of failing it.
 * Its store refuses at once while the connection is not ready
 * (config/limiter.ts), so a request never waits for Redis to come back.
 */
function failOpen(name: string, middleware: Middleware): Middleware {
  return async (ctx, next) => {
    let passed = false
    const proceed = () => {
      passed = true
      return next()
    }
    try {
      return await middleware(ctx, proceed)
    } catch (error) {
      if (passed || error instanceof errors.E_TOO_MANY_REQUESTS) throw error
      logger.warn({ err: error }, `rate limiter "${name}" unavailable: request let through`)
      return next()
    }
  }
}

// The HTTP server connects once the app is ready, not at the first limited
// request: that one would find the connection not ready yet, and go through
// uncounted. Commands that never start the app (codegen) open nothing.
app.ready(() => {
  if (['web', 'test'].includes(app.getEnvironment())) redis.connection()
})

/**
 * A counter's key, under this deployment's Redis prefix: environments
 * sharing a Redis (development, tests, CI) keep separate counters.
 */
function limiterKey(scope: string, subject: string) {
  return `${env.get('QUEUE_PREFIX')}:${scope}:${subject}`
}

/**
 * At most `requestsPerMinute` per key, failing open while Redis is down.
 * One Redis round trip per request: `consume` counts the request and
 * refuses it past the limit (the limiter's own middleware reads the counter
 * first, a second round trip). Same key, headers and 429 as that middleware.
 */
function throttle(scope: string, requestsPerMinute: number, subject: (ctx: HttpContext) => string) {
  // Made at the first request, not at import (it opens the Redis connection),
  // then kept: limiter.use() parses the duration and builds its cache key on every call
  let counter: ReturnType<typeof limiter.use> | undefined
  return failOpen(scope, async (ctx, next) => {
    counter ??= limiter.use({ requests: requestsPerMinute, duration: '1 minute' })
    const counted = await counter.consume(`${scope}_${limiterKey(scope, subject(ctx))}`)
    const response = await next()
    ctx.response.header('X-RateLimit-Limit', counted.limit)
    ctx.response.header('X-RateLimit-Remaining', counted.remaining)
    return response
  })
}

const perIp = (ctx: HttpContext) => ctx.request.ip()

/** Per signed-in user: on routes behind the auth middleware only. */
const perUser = (ctx: HttpContext) => `user:${ctx.auth.getUserOrFail().id}`

/** Brute force on credentials. */
export const throttleAuth = throttle('auth', env.get('RATE_LIMIT_AUTH_PER_MINUTE'), perIp)

/** Guessing check-in links. */
export const throttleCheckin = throttle('checkin', env.get('RATE_LIMIT_CHECKIN_PER_MINUTE'), perIp)

/**
 * Writes that schedule emails (an invoice, an import): one budget per user,
 * whatever the addresses they come from.
 */
export const throttleWrites = throttle('writes', env.get('RATE_LIMIT_WRITES_PER_MINUTE'), perUser)

/** Asking for a new verification email: a few a minute per user, never a mail bomb. */
export const throttleVerificationEmails = throttle('verification-emails', 3, perUser)

/** Guessing client page links, and posting its forms. */
export const throttleClientPage = throttle(
  'client-page',
  env.get('RATE_LIMIT_CLIENT_PAGE_PER_MINUTE'),
  perIp
)
/**
 * Failed logins per account, whatever addresses they come from: the per-IP
 * limit alone lets many addresses guess one account's password. A success
 * clears the account's count; past the limit the account's logins answer
 * 429 for the rest of the 15 minutes, even with the right password. Fails
 * open while Redis is down, as the other limits do.
 */
export async function limitLoginFailures<T>(email: string, attempt: () => Promise<T>): Promise<T> {
  let outcome: { value: T } | { error: unknown } | undefined
  const once = async () => {
    try {
      const value = await attempt()
      outcome = { value }
      return value
    } catch (error) {
      outcome = { error }
      throw error
    }
  }
  try {
    const [refusal, value] = await limiter
      .use({ requests: env.get('RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT'), duration: '15 minutes' })
      .penalize(`login-account_${limiterKey('login-account', email)}`, once)
    if (refusal) throw refusal
    return value as T
  } catch (error) {
    if (error instanceof errors.E_TOO_MANY_REQUESTS) throw error
    if (outcome && 'error' in outcome) throw outcome.error
    logger.warn({ err: error }, 'rate limiter "login-account" unavailable: login let through')
    return outcome ? outcome.value : attempt()
  }
}
