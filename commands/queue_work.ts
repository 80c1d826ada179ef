import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Worker } from 'bullmq'

/** How long a stopping worker waits for a Redis that does not answer. */
const REDIS_GRACE_MS = 5_000

/**
 * The worker process: consumes the queues of start/queue.ts and runs the
 * reconciler at start and on an interval (and, on the same clock, drops the
 * inbound messages' raw bytes past their retention). SIGTERM/SIGINT close
 * the workers gracefully (running jobs finish; a killed worker's jobs come
 * back after the stalled-job check; with Redis down, it exits 1 once they
 * have).
 */
export default class QueueWork extends BaseCommand {
  static commandName = 'queue:work'
  static description = 'Run the BullMQ workers and the reconciler'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.array({ description: 'Queues to consume (default: every registered queue)' })
  declare queues?: string[]

  @flags.number({ description: 'Jobs processed at once per queue', default: 10 })
  declare concurrency: number

  async run() {
    const { closeWorkers, registeredJobs, startWorkers } = await import('#queue/workers')
    const { reconcileQueues } = await import('#queue/reconciler')
    const { dropOldInboundMessageBytes } = await import('#services/inbound/inbound_retention')
    const { warnAboutRedisDurability } = await import('#queue/redis_durability')
    const { default: queueConfig } = await import('#config/queue')
    const { registerQueueMetrics } = await import('#metrics/queue_metrics')
    const { serveMetrics } = await import('#metrics/metrics_server')
    const { default: env } = await import('#start/env')
    // Emails link to named routes: build the route table, as the HTTP server does at start
    const router = await this.app.container.make('router')
    router.commit()

    const known = [...registeredJobs().keys()]
    const unknown = (this.queues ?? []).filter((name) => !known.includes(name))
    if (unknown.length > 0) {
      this.logger.error(`Unknown queue(s): ${unknown.join(', ')}. Known: ${known.join(', ')}`)
      this.exitCode = 1
      return this.terminate()
    }
    const queueNames = this.queues?.length ? this.queues : known

    let workers: Worker[] = []
    let reconcileTimer: NodeJS.Timeout | undefined
    let metricsServer: Server | undefined
    // SIGTERM may come while the worker is still starting: what is not started yet never is
    const stop = new AbortController()
    const stopping = stop.signal
    let reconciling: Promise<void> | undefined
    this.app.terminating(async () => {
      stop.abort()
      clearTimeout(reconcileTimer)
      metricsServer?.close()
      metricsServer?.closeAllConnections()
      // A pass in flight ends at its next step, before the database closes under it
      // (a query then would wait for a connection the closed pool never gives); a
      // step waiting for a Redis that never came up is not waited for
      const passEnded = Promise.race([
        reconciling,
        sleep(REDIS_GRACE_MS, undefined, { ref: false }),
      ])
      const [workersClosed] = await Promise.all([
        closeWorkers(workers, { redisGraceMs: REDIS_GRACE_MS }),
        passEnded,
      ])
      if (workersClosed === 'redis unreachable') {
        // Its clients retry Redis for ever and keep the process alive: what was
        // in hand is done; the database's pool gets a moment to close, then it leaves
        setTimeout(() => process.exit(1), 1_000).unref()
      }
    })
    this.app.listen('SIGINT', () => this.app.terminate())

    await warnAboutRedisDurability()
    if (stopping.aborted) return
    registerQueueMetrics()
    const metricsPort = env.get('WORKER_METRICS_PORT')
    if (metricsPort !== undefined) {
      metricsServer = await serveMetrics({ port: metricsPort, name: 'worker' })
    }
    if (stopping.aborted) {
      metricsServer?.close()
      return
    }
    workers = startWorkers(queueNames, this.concurrency)
    this.logger.info(`worker consuming ${queueNames.join(', ')} (concurrency ${this.concurrency})`)

    // One pass at a time: the next is planned once this one ends
    const reconcile = async () => {
      try {
        await reconcileQueues({ signal: stopping })
      } catch (error) {
        if (!stopping.aborted) this.logger.error(`reconcile failed: ${error.message}`)
      }
      // On the same clock: whole inbound messages past their retention
      if (!stopping.aborted) {
        try {
          const dropped = await dropOldInboundMessageBytes()
          if (dropped > 0) this.logger.info(`dropped ${dropped} inbound message(s) past retention`)
        } catch (error) {
          this.logger.error(`inbound retention failed: ${error.message}`)
        }
      }
      if (!stopping.aborted) {
        reconcileTimer = setTimeout(
          () => (reconciling = reconcile()),
          queueConfig.reconcileIntervalMs
        )
      }
    }
    reconciling = reconcile()
    await reconciling
  }
}
