import env from '#start/env'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import limiter from '@adonisjs/limiter/services/main'
import { errors } from '@adonisjs/limiter'
import { errors as authErrors } from '@adonisjs/auth'
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

/** Failed logins are counted over this window, per address and per account. */
const LOGIN_FAILURE_WINDOW = '15 minutes'

/** How long an address an account signed in from stays one it may always try from. */
const SIGNED_IN_ADDRESS_SECONDS = 30 * 86_400

// Made at the first login, as throttle() does
let loginFailures:
  | { fromAddress: ReturnType<typeof limiter.use>; ofAccount: ReturnType<typeof limiter.use> }
  | undefined

/** Beside the limiter's counters, under `limiter:` and this deployment's prefix. */
const signedInAddressKey = (email: string, address: string) =>
  `limiter:login-signed-in_${limiterKey('login-signed-in', `${email} ${address}`)}`

/**
 * Remembers that the account signed in from this address (login, register)
 * for SIGNED_IN_ADDRESS_SECONDS. Best effort: without Redis, nothing is
 * remembered and the answer goes on.
 */
export async function rememberSignInAddress(email: string, address: string) {
  // As the limiter's store: a connection that is not ready fails at once, never waits
  const connection = redis.connection()
  try {
    if (!connection.isReady()) throw new Error(`Redis connection ${connection.status}`)
    await connection.set(signedInAddressKey(email, address), '1', 'EX', SIGNED_IN_ADDRESS_SECONDS)
  } catch (error) {
    logger.warn({ err: error }, 'rate limiter "login" unavailable: sign-in address not remembered')
  }
}

/**
 * Failed logins, counted per account and address, and per account from
 * every address. Past the first limit that address answers 429 for that
 * account, even with the right password: a guesser stops there. Past the
 * second (one account guessed from many addresses), the account answers
 * 429 to every address it has not signed in from lately; an address it
 * signed in from still may try, so that a stranger who knows a freelancer's
 * email cannot lock the freelancer out. Only wrong credentials count; a
 * success clears its address's count and remembers the address. Fails open
 * while Redis is down, as the other limits do.
 */
export async function limitLoginFailures<T>(
  email: string,
  address: string,
  attempt: () => Promise<T>
): Promise<T> {
  const addressKey = `login-address_${limiterKey('login-address', `${email} ${address}`)}`
  const accountKey = `login-account_${limiterKey('login-account', email)}`
  let counters: NonNullable<typeof loginFailures>
  try {
    counters = loginFailures ??= {
      fromAddress: limiter.use({
        requests: env.get('RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS'),
        duration: LOGIN_FAILURE_WINDOW,
      }),
      ofAccount: limiter.use({
        requests: env.get('RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT'),
        duration: LOGIN_FAILURE_WINDOW,
      }),
    }
    const [fromAddress, ofAccount] = await Promise.all([
      counters.fromAddress.get(addressKey),
      counters.ofAccount.get(accountKey),
    ])
    const exhausted = (counted: typeof fromAddress) => counted !== null && counted.remaining <= 0
    if (exhausted(fromAddress)) throw new errors.E_TOO_MANY_REQUESTS(fromAddress!)
    if (exhausted(ofAccount) && !(await redis.exists(signedInAddressKey(email, address)))) {
      throw new errors.E_TOO_MANY_REQUESTS(ofAccount!)
    }
  } catch (error) {
    if (error instanceof errors.E_TOO_MANY_REQUESTS) throw error
    logger.warn({ err: error }, 'rate limiter "login" unavailable: login let through')
    return attempt()
  }

  let value: T
  try {
    value = await attempt()
  } catch (error) {
    if (error instanceof authErrors.E_INVALID_CREDENTIALS) {
      await Promise.all([
        counters.fromAddress.increment(addressKey),
        counters.ofAccount.increment(accountKey),
      ]).catch((failure) =>
        logger.warn({ err: failure }, 'rate limiter "login" unavailable: failure not counted')
      )
    }
    throw error
  }
  await Promise.all([
    counters.fromAddress.delete(addressKey).catch(() => {}),
    rememberSignInAddress(email, address),
  ])
  return value
}
