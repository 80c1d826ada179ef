import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'

/**
 * Commands wait for at most one reconnection attempt, then fail: an HTTP
 * request never hangs while Redis is down.
 */
const base = {
  host: env.get('REDIS_HOST'),
  port: env.get('REDIS_PORT'),
  password: env.get('REDIS_PASSWORD'),
  connectTimeout: 2_000,
  maxRetriesPerRequest: 1,
  retryStrategy: (times: number) => Math.min(times * 200, 2_000),
}

const redisConfig = defineConfig({
  connection: 'main',
  connections: {
    main: { ...base, db: 0, keyPrefix: '' },
    /**
     * The limiter clears its store with FLUSHDB: it gets a database of its own.
     */
    limiter: { ...base, db: 1, keyPrefix: '' },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
