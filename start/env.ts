/*
| Every environment key is validated here: a missing or malformed value
| stops the boot with a message naming the key.
*/
import { Env } from '@adonisjs/core/env'

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
  // Web UI of the inbox `npm run dev` starts when nothing listens on SMTP_PORT (8025 by default)
  DEV_INBOX_PORT: Env.schema.number.optional(),

  EMAIL_VERIFICATION: Env.schema.enum.optional(['required', 'off'] as const),

  CHECKIN_PAST_DUE_DELAY_MS: Env.schema.number(),
  CHECKIN_CONFIRMATION: Env.schema.enum(['direct', 'page'] as const),
  QUEUE_RECONCILE_INTERVAL_MS: Env.schema.number(),
  QUEUE_RECONCILE_GRACE_SECONDS: Env.schema.number.optional(),
  RATE_LIMIT_AUTH_PER_MINUTE: Env.schema.number(),
  RATE_LIMIT_CHECKIN_PER_MINUTE: Env.schema.number(),
})
