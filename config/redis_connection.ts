import env from '#start/env'
import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { ConnectionOptions } from 'bullmq'

/**
 * Where Redis is and how to reach it, for every client of the process (the
 * app's connection in config/redis.ts, BullMQ's in app/queue): one Redis
 * (REDIS_HOST/REDIS_PORT), a Redis Cluster (REDIS_CLUSTER_NODES) or the
 * master a Sentinel names (REDIS_SENTINELS, REDIS_SENTINEL_NAME). Database 0
 * only: Redis Cluster has no other.
 */
const clusterNodes = env.get('REDIS_CLUSTER_NODES')
const sentinels = env.get('REDIS_SENTINELS')

/**
 * What every connection carries: the ACL user and password, and TLS with the
 * certificate checked against Node's CAs plus NODE_EXTRA_CA_CERTS, as for SMTP.
 */
const credentials: RedisOptions = {
  username: env.get('REDIS_USERNAME') || undefined,
  password: env.get('REDIS_PASSWORD') || undefined,
  ...(env.get('REDIS_TLS', false) ? { tls: {} } : {}),
}

/** How a standalone or Sentinel connection finds its server. */
const endpoint: RedisOptions = sentinels.length
  ? { sentinels, name: env.get('REDIS_SENTINEL_NAME', 'mymaster') }
  : { host: env.get('REDIS_HOST'), port: env.get('REDIS_PORT') }

export const isRedisCluster = clusterNodes.length > 0

/** Options of one connection (never on Cluster), with `options` on top. */
export function redisOptions(options: RedisOptions = {}): RedisOptions {
  return { ...endpoint, ...credentials, db: 0, ...options }
}

/**
 * The Cluster's nodes and its options: `options` apply to each node's
 * connection, except the Cluster-wide ones (offline queue, reconnection).
 */
export function redisClusterOptions(options: RedisOptions = {}) {
  const { enableOfflineQueue, retryStrategy, ...perNode } = options
  const clusterOptions: ClusterOptions = { redisOptions: { ...credentials, ...perNode } }
  // Unset, ioredis's own defaults hold
  if (enableOfflineQueue !== undefined) clusterOptions.enableOfflineQueue = enableOfflineQueue
  if (retryStrategy) {
    clusterOptions.clusterRetryStrategy = (times: number) => retryStrategy(times) ?? undefined
  }
  return { nodes: clusterNodes, clusterOptions }
}

/** The Cluster clients given to BullMQ, which closes its copies of them but never them. */
const bullmqClusters = new Set<Cluster>()

/**
 * What BullMQ connects with: options it makes its own connections from, or
 * on Cluster a Cluster client (BullMQ takes no Cluster options), connected
 * once BullMQ first uses it, and closed by `disconnectBullmqClusters`.
 */
export function bullmqConnection(options: RedisOptions): ConnectionOptions {
  if (!isRedisCluster) return redisOptions(options) as ConnectionOptions
  const { nodes, clusterOptions } = redisClusterOptions(options)
  const cluster = new Cluster(nodes, { ...clusterOptions, lazyConnect: true })
  bullmqClusters.add(cluster)
  return cluster
}

/** Once the queues and workers are closed: their Cluster clients would hold the process open. */
export function disconnectBullmqClusters() {
  for (const cluster of bullmqClusters) cluster.disconnect()
  bullmqClusters.clear()
}
