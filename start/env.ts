/*
| Every environment key is validated here: a missing or malformed value
| stops the boot with a message naming the key.
*/
import { Env } from '@adonisjs/core/env'

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
  MAIL_FROM_ADDRESS: Env.schema.string({ format: 'email' }),
  MAIL_FROM_NAME: Env.schema.string(),

  CHECKIN_PAST_DUE_DELAY_MS: Env.schema.number(),
  CHECKIN_CONFIRMATION: Env.schema.enum(['direct', 'page'] as const),
  QUEUE_RECONCILE_INTERVAL_MS: Env.schema.number(),
  QUEUE_RECONCILE_GRACE_SECONDS: Env.schema.number.optional(),
  RATE_LIMIT_AUTH_PER_MINUTE: Env.schema.number(),
  RATE_LIMIT_CHECKIN_PER_MINUTE: Env.schema.number(),
  RATE_LIMIT_WRITES_PER_MINUTE: positiveInteger(60),

  AUTH_TOKEN_TTL_DAYS: positiveInteger(30),
})
