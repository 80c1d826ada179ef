import env from '#start/env'
import type { DefaultJobOptions } from 'bullmq'

const queueConfig = {
  /** Wrap in braces on Redis Cluster so a queue's keys share one slot. */
  prefix: env.get('QUEUE_PREFIX'),

  defaultJobOptions: {
    attempts: 6,
    // 5 s, 10 s, 20 s, 40 s, 80 s between the attempts of one send
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
  } satisfies DefaultJobOptions,

  /** Producers give up quickly: the reconciler enqueues what they could not. */
  producerTimeoutMs: 1_000,

  /** Added to that deadline per job of a bulk enqueue (30,000 jobs: +6 s). */
  producerTimeoutPerJobMs: 0.2,

  reconcileIntervalMs: env.get('QUEUE_RECONCILE_INTERVAL_MS'),

  /**
   * The reconciler leaves `scheduled` rows younger than this alone: the
   * request that wrote them may still be enqueueing their job.
   */
  reconcileGraceSeconds: env.get('QUEUE_RECONCILE_GRACE_SECONDS', 30),

  /**
   * A worker holds a job's lock this long, renewed while it runs. A killed
   * worker's job is picked up again once its lock expires, found by the
   * stalled-job check: this bounds how late a crash makes an email.
   */
  worker: {
    lockDurationMs: 15_000,
    stalledIntervalMs: 5_000,
  },
}

export default queueConfig
