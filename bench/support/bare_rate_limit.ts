/*
| The baselines' rate limit: what the app's throttles (start/limiter.ts, on
| the check-in links and the client's page) do for each request, without
| the framework: one Redis round trip counting the request on a per-IP
| counter that lives a minute (the same Lua script as the app's limiter
| store, rate-limiter-flexible's), a 429 past the limit, and the same
| X-RateLimit-* headers. The limit is shared by every web process, so each
| request pays this round trip on both sides.
|
| BASELINE_RATE_LIMIT=off leaves it out: the context side of the HTTP
| benchmarks, a baseline that does less than the app.
*/
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Redis } from 'ioredis'
import { rawRedis } from './raw_connections.js'

const INCREMENT_WITH_TTL = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}`

type CountingRedis = Redis & {
  incrementWithTtl(key: string, points: number, seconds: number): Promise<[number, number]>
}

const rateLimited = process.env.BASELINE_RATE_LIMIT !== 'off'

/** The environment of a baseline process started without the rate limit. */
export const WITHOUT_RATE_LIMIT = { BASELINE_RATE_LIMIT: 'off' }

let redis: CountingRedis | undefined

/** The client's address as the app's trusted-proxy setting reads it (the bench sends X-Forwarded-For). */
function clientIp(request: IncomingMessage) {
  const forwarded = request.headers['x-forwarded-for']
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
  return first || request.socket.remoteAddress || ''
}

/**
 * Counts the request against `scope`'s per-IP limit of `perMinute`; false
 * (after answering 429) when it is over. Sets the headers the app sets.
 */
export async function withinRateLimit(
  scope: string,
  perMinute: number,
  request: IncomingMessage,
  response: ServerResponse
): Promise<boolean> {
  if (!rateLimited) return true
  if (!redis) {
    redis = new Redis(rawRedis(1)) as CountingRedis
    redis.defineCommand('incrementWithTtl', { numberOfKeys: 1, lua: INCREMENT_WITH_TTL })
  }
  const key = `${process.env.QUEUE_PREFIX}:baseline-${scope}:${clientIp(request)}`
  const [consumed] = await redis.incrementWithTtl(key, 1, 60)
  response.setHeader('X-RateLimit-Limit', perMinute)
  response.setHeader('X-RateLimit-Remaining', Math.max(0, perMinute - consumed))
  if (consumed <= perMinute) return true
  response.writeHead(429, { 'content-type': 'application/json; charset=utf-8' })
  response.end('{"errors":[{"message":"Too many requests"}]}')
  return false
}

export async function closeRateLimit() {
  await redis?.quit()
}
