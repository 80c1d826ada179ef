import { defineConfig, stores } from '@adonisjs/limiter'

const limiterConfig = defineConfig({
  default: 'redis',
  stores: {
    // A connection that is not ready fails the limiter at once, rather than
    // waiting for a reconnection: start/limiter.ts then lets the request through
    redis: stores.redis({ connectionName: 'limiter', rejectIfRedisNotReady: true }),
    memory: stores.memory({}),
  },
})

export default limiterConfig

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
