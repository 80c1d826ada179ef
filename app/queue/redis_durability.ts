import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'
import { RedisClusterConnection } from '@adonisjs/redis'
import type { Redis } from 'ioredis'
import type { Connection } from '@adonisjs/redis/types'

/** The servers holding the jobs: the one Redis, or every master of a Cluster. */
function servers(): { name: string; client: Redis }[] {
  const connection: Connection = redis.connection()
  if (!(connection instanceof RedisClusterConnection)) {
    return [{ name: 'Redis', client: connection.ioConnection }]
  }
  return connection.nodes('master').map((client) => ({
    name: `Redis ${client.options.host}:${client.options.port}`,
    client,
  }))
}

/**
 * Redis may lose jobs without persistence or under eviction; the reconciler
 * rebuilds them, but production should not rely on it. One line each, per
 * server (every master of a Cluster).
 */
export async function warnAboutRedisDurability() {
  try {
    // A Cluster knows its masters once connected
    await redis.connection().ping()
    for (const { name, client } of servers()) {
      const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string]
      if (policy !== 'noeviction') {
        logger.warn(
          `${name} maxmemory-policy is "${policy}": set it to "noeviction" so queued jobs are never evicted`
        )
      }
      const persistence = await client.info('persistence')
      const aof = /aof_enabled:1/.test(persistence)
      const [, save] = (await client.config('GET', 'save')) as [string, string]
      if (!aof && !save) {
        logger.warn(
          `${name} has no persistence (no AOF, no RDB snapshots): a restart loses every queued job until the reconciler runs`
        )
      }
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not read the Redis configuration')
  }
}
