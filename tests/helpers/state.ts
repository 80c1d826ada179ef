import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import env from '#start/env'
import { getQueue } from '#queue/queues'
import { countRows } from '#tests/helpers/rows'

const QUEUES: string[] = [
  'checkins',
  'relances',
  'verifications',
  'thank-yous',
  'client-notices',
  'webhooks',
  'inbound',
]

/** Empties the test queues (the test prefix only). */
export async function resetQueues() {
  await Promise.all(QUEUES.map((name) => getQueue(name).obliterate({ force: true })))
}

/**
 * Plays a Redis that lost everything: every key under this run's queue
 * prefix (or `prefix`) goes (queues, jobs, their ids), and nothing else of
 * the shared Redis.
 */
export async function dropQueueKeys(prefix = env.get('QUEUE_PREFIX')) {
  const connection = redis.connection()
  let cursor = '0'
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) await connection.del(keys)
    cursor = next
  } while (cursor !== '0')
}

/**
 * Clean slate for a test: empty tables and queues, and with `rateLimits` the
 * rate-limit counters too (for specs that hit a limited route many times).
 * Tables are truncated rather than wrapped in a global transaction, because
 * jobs are enqueued after commit and a savepoint would commit them while
 * rolling back rows.
 */
export async function resetState({ rateLimits = false } = {}) {
  await resetQueues()
  // Every table but the migrations' own, emptied in one statement
  const { rows } = await db.rawQuery(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'adonis_schema%'"
  )
  const tables = rows.map((row: { tablename: string }) => `"${row.tablename}"`).join(', ')
  await db.rawQuery(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`)
  if (rateLimits) await resetRateLimits()
}

/**
 * Rate limits are per IP, and every test request comes from 127.0.0.1. Only
 * this run's counters go: the limiter's own clear() would flush the whole
 * Redis database, queues included, that other environments share.
 */
export async function resetRateLimits() {
  const connection = redis.connection()
  const keys = await connection.keys(`limiter:*_${env.get('QUEUE_PREFIX')}:*`)
  if (keys.length > 0) await connection.del(keys)
}

/** The ids of the jobs waiting or delayed in a queue, sorted. */
export async function queuedJobIds(name: string): Promise<string[]> {
  const jobs = await getQueue(name).getJobs(['delayed', 'waiting', 'prioritized'])
  return jobs.map((job) => job.id!).sort()
}

/** Nothing waiting, running or about to run in any test queue. */
export async function queuesIdle() {
  for (const name of QUEUES) {
    const counts = await getQueue(name).getJobCounts('waiting', 'active', 'prioritized')
    if (Object.values(counts).some((count) => count > 0)) return false
  }
  return true
}

/**
 * How many rows each table an invoice write may touch holds, and the jobs
 * queued: what a refused write or import must leave as it was.
 */
export async function rowsAndJobs() {
  return {
    importBatches: await countRows('import_batches'),
    invoices: await countRows('invoices'),
    clients: await countRows('clients'),
    checkinTasks: await countRows('checkin_tasks'),
    relances: await countRows('relances'),
    activityEvents: await countRows('activity_events'),
    checkinJobs: await queuedJobIds('checkins'),
    relanceJobs: await queuedJobIds('relances'),
  }
}
