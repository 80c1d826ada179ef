/*
| Every environment key is validated here: a missing or malformed value
| stops the boot with a message naming the key.
*/
import { Env } from '@adonisjs/core/env'
import proxyAddr from 'proxy-addr'
import string from '@adonisjs/core/helpers/string'

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

/** Comma-separated durations (`500ms`, `30s`, `2m`, `1h`) as milliseconds; `fallback` when unset. */
function durationList(fallback: string) {
  return (key: string, value?: string): number[] => {
    const text = (value ?? '').trim() || fallback
    return text.split(',').map((entry) => {
      const milliseconds = /^\d+(ms|s|m|h)$/.test(entry.trim())
        ? string.milliseconds.parse(entry.trim())
        : Number.NaN
      if (!Number.isFinite(milliseconds) || milliseconds < 1) {
        throw new Error(
          `"${key}" must list durations such as 30s,2m,1h, comma-separated (got "${text}")`
        )
      }
      return milliseconds
    })
  }
}

/**
 * INBOUND_DOMAIN: the domain whose MX points at the receiver (`inbound.example.com`),
 * lowercased; empty or unset turns inbound mail off.
 */
function inboundDomain(key: string, value?: string): string | undefined {
  const domain = (value ?? '').trim().toLowerCase().replace(/\.$/, '')
  if (!domain) return undefined
  if (
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(
      domain
    )
  ) {
    throw new Error(`"${key}" must be a domain name such as inbound.example.com (got "${value}")`)
  }
  return domain
}

/**
 * REDIS_CLUSTER_NODES, REDIS_SENTINELS: comma-separated `host:port`
 * addresses; empty or unset: none.
 */
function redisNodes(key: string, value?: string): { host: string; port: number }[] {
  const entries = (value ?? '').split(',').map((entry) => entry.trim())
  return entries.filter(Boolean).map((entry) => {
    const match = /^(\[[0-9a-f:.]+\]|[^:\s]+):(\d{1,5})$/i.exec(entry)
    const port = Number(match?.[2])
    if (!match || port < 1 || port > 65_535) {
      throw new Error(
        `"${key}" must list host:port addresses such as redis-1:6379, comma-separated (got "${entry}")`
      )
    }
    return { host: match[1].replace(/^\[|\]$/g, ''), port }
  })
}

const env = await Env.create(new URL('../', import.meta.url), {
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
  // An ACL user (Redis 6+); unset: the default user
  REDIS_USERNAME: Env.schema.string.optional(),
  // TLS, the certificate checked against Node's CAs plus NODE_EXTRA_CA_CERTS
  REDIS_TLS: Env.schema.boolean.optional(),
  // Redis Cluster: some of its nodes (host:port, comma-separated); REDIS_HOST/PORT are then unused
  REDIS_CLUSTER_NODES: redisNodes,
  // Redis Sentinel: the sentinels (host:port, comma-separated) and the name of the master they watch
  REDIS_SENTINELS: redisNodes,
  REDIS_SENTINEL_NAME: Env.schema.string.optional(),
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
  // Per IP, on the client's page and its forms
  RATE_LIMIT_CLIENT_PAGE_PER_MINUTE: positiveInteger(30),
  // A client's "already paid" (or reply) holds the relances this long, unless the freelancer answers
  CLIENT_SIGNAL_HOLD_DAYS: positiveInteger(7),
  // Failed logins in 15 minutes: of one account from one address, and of one account from any
  RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: positiveInteger(10),
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: positiveInteger(100),

  AUTH_TOKEN_TTL_DAYS: positiveInteger(30),

  // Webhooks: private and loopback targets, plain http (development and tests; ignored in production)
  WEBHOOK_ALLOW_PRIVATE: Env.schema.boolean.optional(),
  // The waits between a webhook's attempts, comma-separated durations (30s,2m,10m,1h,3h,8h,12h)
  WEBHOOK_RETRY_DELAYS: durationList('30s,2m,10m,1h,3h,8h,12h'),

  // Replies and bounces: relance emails carry reply+<token>@ / bounce+<token>@ this domain (unset: Reply-To the user)
  INBOUND_DOMAIN: inboundDomain,
  // The inbound SMTP receiver (node ace inbound:serve) listens here
  INBOUND_SMTP_HOST: Env.schema.string.optional({ format: 'host' }),
  INBOUND_SMTP_PORT: Env.schema.number.optional(),
  // PEM files: with both, the receiver offers STARTTLS
  INBOUND_TLS_KEY: Env.schema.string.optional(),
  INBOUND_TLS_CERT: Env.schema.string.optional(),
  // Bearer secret of POST /api/v1/inbound/messages (unset: 404)
  INBOUND_WEBHOOK_SECRET: Env.schema.string.optional(),
  // Days a received message's raw bytes are kept once processed
  INBOUND_RAW_RETENTION_DAYS: positiveInteger(30),

  // Prometheus: GET /api/v1/metrics needs this bearer token (unset: 404)
  METRICS_TOKEN: Env.schema.string.optional(),
  // The worker and the inbound receiver serve their metrics on these ports when set
  WORKER_METRICS_PORT: Env.schema.number.optional(),
  INBOUND_METRICS_PORT: Env.schema.number.optional(),

  // Invoice documents: `fs` (storage/ of the app) or `s3` (S3_BUCKET is then required)
  DRIVE_DISK: Env.schema.enum.optional(['fs', 's3'] as const),
  S3_BUCKET: Env.schema.string.optional(),
  S3_REGION: Env.schema.string.optional(),
  // Another S3-compatible service than AWS (R2, Scaleway, MinIO): its URL
  S3_ENDPOINT: Env.schema.string.optional({ format: 'url', tld: false }),
  // Unset: the AWS SDK's own credentials chain (an instance role, AWS_* variables)
  S3_ACCESS_KEY_ID: Env.schema.string.optional(),
  S3_SECRET_ACCESS_KEY: Env.schema.string.optional(),
  // Bucket in the path (https://host/bucket/key), as MinIO and most self-hosted services need
  S3_FORCE_PATH_STYLE: Env.schema.boolean.optional(),
})

/**
 * On Redis Cluster every key of a BullMQ queue must hash to one slot, which
 * its Lua scripts need: the prefix carries a hash tag, `{relance}`.
 */
if (env.get('REDIS_CLUSTER_NODES').length && !/^[^{]*\{[^}]+\}/.test(env.get('QUEUE_PREFIX'))) {
  throw new Error(
    `"QUEUE_PREFIX" must be a hash tag such as {relance} on Redis Cluster (REDIS_CLUSTER_NODES is set), got "${env.get('QUEUE_PREFIX')}"`
  )
}
if (env.get('REDIS_CLUSTER_NODES').length && env.get('REDIS_SENTINELS').length) {
  throw new Error('"REDIS_CLUSTER_NODES" and "REDIS_SENTINELS" cannot both be set: pick one')
}

export default env
