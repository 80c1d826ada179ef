import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'

/**
 * Redis may lose jobs without persistence or under eviction; the reconciler
 * rebuilds them, but production should not rely on it. One line each.
 */
export async function warnAboutRedisDurability() {
  try {
    const connection = redis.connection()
    const [, policy] = (await connection.config('GET', 'maxmemory-policy')) as [string, string]
    if (policy !== 'noeviction') {
      logger.warn(
        `Redis maxmemory-policy is "${policy}": set it to "noeviction" so queued jobs are never evicted`
      )
    }
    const persistence = await connection.info('persistence')
    const aof = /aof_enabled:1/.test(persistence)
    const [, save] = (await connection.config('GET', 'save')) as [string, string]
    if (!aof && !save) {
      logger.warn(
        'Redis has no persistence (no AOF, no RDB snapshots): a restart loses every queued job until the reconciler runs'
      )
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not read the Redis configuration')
  }
}
