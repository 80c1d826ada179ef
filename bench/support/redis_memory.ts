/*
| Memory that Redis spends on the keys under a pattern: the sum of
| MEMORY USAGE (exact, SAMPLES 0) of every key. Other processes share this
| Redis: the global used_memory moves with their work, these keys do not.
*/
import type { Redis } from 'ioredis'

export async function keysMemory(redis: Redis, pattern: string) {
  let bytes = 0
  let keys = 0
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (batch.length === 0) continue
    const pipeline = redis.pipeline()
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', 0)
    for (const [, usage] of (await pipeline.exec()) ?? []) bytes += Number(usage ?? 0)
    keys += batch.length
  } while (cursor !== '0')
  return { bytes, keys }
}

export async function usedMemory(redis: Redis) {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
}
