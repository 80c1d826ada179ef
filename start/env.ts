/*
| Every environment key is validated here: a missing or malformed value
| stops the boot with a message naming the key.
*/
import { Env } from '@adonisjs/core/env'
import proxyAddr from 'proxy-addr'

/**
 * CORS_ORIGINS: comma-separated origins (`https://app.example.com`), each
 * given as the browser sends it in `Origin`: scheme, host and port only.
 */
function originList(key: string, value?: string): string[] {
  const entries = (value ?? '').split(',').map((entry) => entry.trim())
  return entries.filter(Boolean).map((entry) => {
    let origin: string | undefined
    try {
      origin = new URL(entry).origin
    } catch {}
    if (!origin || origin === 'null' || origin !== entry.replace(/\/$/, '')) {
      throw new Error(
        `"${key}" must list origins such as https://app.example.com, comma-separated (got "${entry}")`
      )
    }
    return origin
  })
}

/**
 * TRUSTED_PROXIES: `false` (trust no proxy: request.ip() is the peer), or
 * comma-separated addresses, CIDR ranges and proxy-addr's names (loopback,
 * linklocal, uniquelocal). Default loopback.
 */
function trustedProxies(key: string, value?: string): string[] | false {
  const text = (value ?? '').trim() || 'loopback'
  if (text === 'false') return false
  const list = text.split(',').map((entry) => entry.trim())
  try {
    proxyAddr.compile(list)
  } catch (error) {
    throw new Error(
      `"${key}" must be false or addresses/CIDRs, comma-separated (got "${text}": ${(error as Error).message})`
    )
  }
  return list
}

/** A whole number above zero; `fallback` when the key is unset. */
function positiveInteger(fallback: number) {
  return (key: string, value?: string): number => {
    if (value === undefined || value === '') return fallback
    const number = Number(value)
    if (!Number.isInteger(number) || number < 1) {
      throw new Error(
        `Value for environment variable "${key}" must be a whole number above 0, instead received "${value}"`
      )
    }
    return number
  }
}

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  APP_KEY: Env.schema.secret(),
  LOG_LEVEL: Env.schema.enum([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),
  APP_URL: Env.schema.string({ format: 'url', tld: false }),
  WEB_URL: Env.schema.string({ format: 'url', tld: false }),
  CORS_ORIGINS: originList,
  TRUSTED_PROXIES: trustedProxies,

  DB_HOST: Env.schema.string({ format: 'host' }),
  DB_PORT: Env.schema.number(),
  DB_USER: Env.schema.string(),
  DB_PASSWORD: Env.schema.string.optional(),
  DB_DATABASE: Env.schema.string(),

  REDIS_HOST: Env.schema.string({ format: 'host' }),
  REDIS_PORT: Env.schema.number(),
  REDIS_PASSWORD: Env.schema.string.optional(),
  QUEUE_PREFIX: Env.schema.string(),

  SMTP_HOST: Env.schema.string({ format: 'host' }),
  SMTP_PORT: Env.schema.number(),
  SMTP_USERNAME: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.string.optional(),
  // Implicit TLS from the first byte (port 465)
  SMTP_SECURE: Env.schema.boolean.optional(),
  // Refuse to send unless the server upgrades the session with STARTTLS
  SMTP_REQUIRE_TLS: Env.schema.boolean.optional(),
  MAIL_FROM_ADDRESS: Env.schema.string({ format: 'email' }),
  MAIL_FROM_NAME: Env.schema.string(),
  // Web UI of the inbox `npm run dev` starts when nothing listens on SMTP_PORT (8025 by default)
  DEV_INBOX_PORT: Env.schema.number.optional(),

  EMAIL_VERIFICATION: Env.schema.enum.optional(['required', 'off'] as const),

  // Emails to clients (relances, thank-yous) a user may send in any 24 hours; past it, later
  MAX_CLIENT_EMAILS_PER_DAY: Env.schema.number.optional(),

  // What an account may hold: invoices before its address is verified,
  // pending invoices, and emails waiting in the queues (app/services/accounts/quotas.ts)
  MAX_INVOICES_UNVERIFIED: positiveInteger(20),
  MAX_PENDING_INVOICES_PER_USER: positiveInteger(10_000),
  MAX_SCHEDULED_EMAILS_PER_USER: positiveInteger(50_000),

  CHECKIN_PAST_DUE_DELAY_MS: Env.schema.number(),
  CHECKIN_CONFIRMATION: Env.schema.enum(['direct', 'page'] as const),
  QUEUE_RECONCILE_INTERVAL_MS: Env.schema.number(),
  QUEUE_RECONCILE_GRACE_SECONDS: Env.schema.number.optional(),
  RATE_LIMIT_AUTH_PER_MINUTE: Env.schema.number(),
  RATE_LIMIT_CHECKIN_PER_MINUTE: Env.schema.number(),
  RATE_LIMIT_WRITES_PER_MINUTE: positiveInteger(60),
  // Failed logins per account in 15 minutes, whatever the addresses they come from
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: positiveInteger(10),

  AUTH_TOKEN_TTL_DAYS: positiveInteger(30),
})
