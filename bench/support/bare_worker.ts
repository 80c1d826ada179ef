/*
| The RSS baseline: a bare BullMQ Worker (no framework, no database) on a
| queue holding the same delayed jobs. Started by bench/scale.ts:
|
|   bare_worker.ts <queueName>      (QUEUE_PREFIX, REDIS_* from the environment)
*/
import { Worker } from 'bullmq'

const worker = new Worker(process.argv[2], async () => 'done', {
  prefix: process.env.QUEUE_PREFIX,
  connection: {
    host: process.env.REDIS_HOST,
    port: Number(process.env.REDIS_PORT),
    password: process.env.REDIS_PASSWORD || undefined,
    maxRetriesPerRequest: null,
  },
  concurrency: 10,
})
await worker.waitUntilReady()
console.log('READY {}')
process.on('SIGTERM', () => {
  worker.close().finally(() => process.exit(0))
})
