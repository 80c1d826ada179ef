import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'
import { isRedisCluster, redisClusterOptions, redisOptions } from '#config/redis_connection'

/**
 * Commands wait for at most one reconnection attempt, then fail: an HTTP
 * request never hangs while Redis is down.
 */
const failFast = {
  connectTimeout: 2_000,
  maxRetriesPerRequest: 1,
  retryStrategy: (times: number) => Math.min(times * 200, 2_000),
}

/**
 * One connection, on database 0, for the health check, the durability
 * warnings and the rate limiter, whose counters carry a prefix of their own
 * (config/limiter.ts): nothing here ever flushes a database.
 */
const redisConfig = defineConfig({
  connection: 'main',
  connections: {
    main: isRedisCluster
      ? (() => {
          const { nodes, clusterOptions } = redisClusterOptions(failFast)
          return { clusters: nodes, clusterOptions }
        })()
      : redisOptions({ ...failFast, keyPrefix: '' }),
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
