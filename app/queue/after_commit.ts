import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import queueConfig from '#config/queue'
import type { RedisStepOptions } from '#queue/queues'

/** Redis work run after commit; `signal` aborts once its deadline has passed. */
export type RedisStep = (options: Required<RedisStepOptions>) => Promise<void>

type PendingWork = { description: string; work: RedisStep; jobCount: number }

const pendingAfterCommit = new WeakMap<TransactionClientContract, PendingWork[]>()

/**
 * Runs Redis work once the transaction has committed. A failure here loses
 * nothing: the rows stay `scheduled` and the reconciler enqueues them again.
 * All the work of one transaction runs in order under one deadline, so a
 * request never waits on an unreachable Redis for longer than that. The
 * deadline grows with `jobCount` for bulk work (an import enqueues tens of
 * thousands of jobs), so only a Redis that does not answer hits it.
 */
export function afterCommit(
  trx: TransactionClientContract,
  description: string,
  work: RedisStep,
  { jobCount = 0 }: { jobCount?: number } = {}
) {
  let pending = pendingAfterCommit.get(trx)
  if (!pending) {
    const queued: PendingWork[] = []
    pendingAfterCommit.set(trx, queued)
    trx.after('commit', () => runUnderOneDeadline(queued))
    pending = queued
  }
  pending.push({ description, work, jobCount })
}

async function runUnderOneDeadline(pending: PendingWork[]) {
  const jobCount = pending.reduce((total, entry) => total + entry.jobCount, 0)
  const timeoutMs = queueConfig.producerTimeoutMs + jobCount * queueConfig.producerTimeoutPerJobMs
  const deadline = Date.now() + timeoutMs
  // Past the deadline the work is abandoned, not left to land when Redis comes back
  const expired = new AbortController()
  for (const { description, work } of pending) {
    let timer: NodeJS.Timeout | undefined
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          const error = new Error(`Redis did not answer within ${timeoutMs} ms`)
          expired.abort(error)
          reject(error)
        },
        Math.max(0, deadline - Date.now())
      )
    })
    try {
      await Promise.race([work({ signal: expired.signal }), expiry])
    } catch (error) {
      logger.warn({ err: error }, `${description} failed after commit; the reconciler will retry`)
    } finally {
      clearTimeout(timer)
    }
  }
}
