import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { Server } from 'node:http'
import type { Worker } from 'bullmq'

/**
 * The worker process: consumes the queues of start/queue.ts and runs the
 * reconciler at start and on an interval. SIGTERM/SIGINT close the workers
 * gracefully (running jobs finish; a killed worker's jobs come back after the
 * stalled-job check).
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
    const { registeredJobs, startWorkers } = await import('#queue/workers')
    const { reconcileQueues } = await import('#queue/reconciler')
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
    this.app.terminating(async () => {
      clearInterval(reconcileTimer)
      metricsServer?.close()
      metricsServer?.closeAllConnections()
      await Promise.all(workers.map((worker) => worker.close()))
    })
    this.app.listen('SIGINT', () => this.app.terminate())

    await warnAboutRedisDurability()
    registerQueueMetrics()
    const metricsPort = env.get('WORKER_METRICS_PORT')
    if (metricsPort !== undefined) {
      metricsServer = await serveMetrics({ port: metricsPort, name: 'worker' })
    }
    workers = startWorkers(queueNames, this.concurrency)
    this.logger.info(`worker consuming ${queueNames.join(', ')} (concurrency ${this.concurrency})`)

    const reconcile = () =>
      reconcileQueues().catch((error) => this.logger.error(`reconcile failed: ${error.message}`))
    await reconcile()
    reconcileTimer = setInterval(reconcile, queueConfig.reconcileIntervalMs)
  }
}
