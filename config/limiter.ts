import { defineConfig, stores } from '@adonisjs/limiter'

const limiterConfig = defineConfig({
  default: 'redis',
  stores: {
    // A connection that is not ready fails the limiter at once, rather than
    // waiting for a reconnection: start/limiter.ts then lets the request through.
    // The counters share database 0 with the queues under a prefix of their own:
    // never call the store's clear(), which flushes the whole database
    redis: stores.redis({
      connectionName: 'main',
      keyPrefix: 'limiter',
      rejectIfRedisNotReady: true,
    }),
    memory: stores.memory({}),
  },
})

export default limiterConfig

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
