/*
| Each benchmark owns a PostgreSQL database (relance_bench_<name>) and a
| BullMQ prefix (relance-bench-<name>): it creates them, migrates, and removes
| them at the end. Nothing here touches another database or another prefix.
*/
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import pg from 'pg'
import { NodeProcess } from '#tests/helpers/app_processes'

export const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const PG = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 5432),
  user: process.env.DB_USER ?? 'postgres',
  password: process.env.DB_PASSWORD || undefined,
}
const REDIS = {
  host: process.env.REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.REDIS_PORT ?? 6379),
  password: process.env.REDIS_PASSWORD || undefined,
}

/** One APP_KEY for the whole run: the bench encrypts nothing itself. */
const APP_KEY = randomBytes(32).toString('base64url')

/**
 * The rate limits are per client IP and live in a Redis database every local
 * process shares: bench requests come "from" this address (the app trusts
 * X-Forwarded-For from loopback), so they never eat another developer's
 * 127.0.0.1 budget.
 */
export const BENCH_CLIENT_IP = '10.77.0.1'
export const BENCH_HEADERS = { 'x-forwarded-for': BENCH_CLIENT_IP }

export type BenchResources = {
  name: string
  database: string
  queuePrefix: string
  /** Every key of start/env.ts, production mode, for web and worker. */
  env: Record<string, string>
  pg: pg.ClientConfig & { database: string }
  redis: typeof REDIS
  /** A pool on the bench database, for seeding and checks. */
  pool: pg.Pool
}

export function appEnv(database: string, queuePrefix: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TZ: 'UTC',
    HOST: '127.0.0.1',
    PORT: '0',
    APP_KEY,
    APP_URL: 'http://127.0.0.1:3333',
    WEB_URL: 'http://localhost:5173',
    DB_HOST: PG.host,
    DB_PORT: String(PG.port),
    DB_USER: PG.user,
    DB_PASSWORD: PG.password ?? '',
    DB_DATABASE: database,
    REDIS_HOST: REDIS.host,
    REDIS_PORT: String(REDIS.port),
    REDIS_PASSWORD: REDIS.password ?? '',
    QUEUE_PREFIX: queuePrefix,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '2525',
    MAIL_FROM_ADDRESS: 'no-reply@relance.test',
    MAIL_FROM_NAME: 'Relance',
    CHECKIN_PAST_DUE_DELAY_MS: '60000',
    CHECKIN_CONFIRMATION: 'direct',
    // The bench triggers the reconciler itself when it measures it
    QUEUE_RECONCILE_INTERVAL_MS: String(3_600_000),
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_CHECKIN_PER_MINUTE: '100000000',
    RATE_LIMIT_CLIENT_PAGE_PER_MINUTE: '100000000',
  }
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...PG, database: 'postgres' })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

async function dropDatabase(database: string) {
  await withAdmin((client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`)
  )
}

/** Runs `node ace <args>` with the bench environment; rejects on a non-zero exit. */
export async function runAce(args: string[], env: Record<string, string>): Promise<string> {
  const ace = new NodeProcess(['ace.js', ...args], env)
  if ((await ace.exited) !== 0) throw new Error(`ace ${args.join(' ')}: ${ace.output}`)
  return ace.output
}

/**
 * `npm run build` of the current sources (codegen, then the compiled build in
 * build/), which every app process of the run executes. Returns seconds.
 */
export async function buildApp(): Promise<number> {
  const started = performance.now()
  const env = appEnv('relance_bench_build', 'relance-bench-build')
  await runAce(['codegen'], env)
  await runAce(['build', '--tsconfig', 'tsconfig.build.json'], env)
  return Math.round(performance.now() - started) / 1000
}

/** Keys under the bench prefix only (or a pattern inside it), removed in batches. */
export async function deletePrefix(queuePrefix: string, inside = '*') {
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${queuePrefix}:${inside}`,
        'COUNT',
        1000
      )
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/**
 * A fresh, migrated database and an empty prefix for one benchmark.
 */
export async function createResources(name: string): Promise<BenchResources> {
  const database = `relance_bench_${name}`
  const queuePrefix = `relance-bench-${name}`
  await dropDatabase(database)
  await withAdmin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`))
  await deletePrefix(queuePrefix)
  const env = appEnv(database, queuePrefix)
  await runAce(['migration:run', '--force'], env)
  const pool = new pg.Pool({ ...PG, database, max: 4 })
  return { name, database, queuePrefix, env, pg: { ...PG, database }, redis: REDIS, pool }
}

export async function releaseResources(resources: BenchResources) {
  await resources.pool.end().catch(() => {})
  await deletePrefix(resources.queuePrefix)
  await dropDatabase(resources.database)
}

export function redisClient() {
  return new Redis({ ...REDIS, maxRetriesPerRequest: null })
}

/** Versions and size of the machine the figures come from. */
/**
 * CPU seconds the hypervisor gave other guests while this one wanted them
 * (steal, /proc/stat), all cores together; null off Linux. On a shared
 * host every figure of a run with much stolen time is low, the app's and
 * the baselines' alike.
 */
export function stolenCpuSeconds(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    // cpu user nice system idle iowait irq softirq steal …, in USER_HZ (100 per second)
    return Number(fields[8]) / 100
  } catch {
    return null
  }
}

export async function machineInfo() {
  const os = await import('node:os')
  const pgVersion = await withAdmin(async (client) => {
    const { rows } = await client.query('SHOW server_version')
    return rows[0].server_version as string
  })
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 })
  const info = await redis.info('server')
  redis.disconnect()
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgresql: pgVersion,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
    stolenCpuSecondsAtStart: stolenCpuSeconds(),
  }
}
