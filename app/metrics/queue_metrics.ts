import { Gauge } from 'prom-client'
import logger from '@adonisjs/core/services/logger'
import { getQueue } from '#queue/queues'
import { registeredJobs } from '#queue/workers'
import { registry } from '#metrics/metrics'

const JOB_STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'] as const

/**
 * The queues as a worker's scrape reads them, measured at scrape time: the
 * jobs Redis holds per state, and the lag PostgreSQL shows (how long ago
 * the oldest overdue `scheduled` row was due: a worker short of capacity
 * or cut off from SMTP). Every worker reports the same values: aggregate
 * them with max(). Registered once, by the worker.
 */
export function registerQueueMetrics() {
  if (registry.getSingleMetric('relance_queue_jobs')) return

  new Gauge({
    name: 'relance_queue_jobs',
    help: 'Jobs Redis holds, by queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const queueName of registeredJobs().keys()) {
        try {
          const counts = await getQueue(queueName).getJobCounts(...JOB_STATES)
          for (const state of JOB_STATES) this.set({ queue: queueName, state }, counts[state] ?? 0)
        } catch (error) {
          logger.warn({ err: error, queue: queueName }, 'metrics: could not count the jobs')
        }
      }
    },
  })

  new Gauge({
    name: 'relance_queue_lag_seconds',
    help: 'How long ago the oldest overdue scheduled row of each queue was due (0: none is overdue)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      for (const [queueName, job] of registeredJobs()) {
        if (!job.spec.rowStatus) continue
        try {
          const { oldestOverdueAt } = await job.spec.rowStatus()
          const lagMs = oldestOverdueAt ? Date.now() - oldestOverdueAt.getTime() : 0
          this.set({ queue: queueName }, Math.max(0, lagMs) / 1000)
        } catch (error) {
          logger.warn({ err: error, queue: queueName }, 'metrics: could not read the queue lag')
        }
      }
    },
  })
}
