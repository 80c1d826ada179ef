import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { Worker } from 'bullmq'
import type { QueueName } from '#services/job_queue'

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
    await import('#start/queue')
    const { registeredQueues, startWorkers } = await import('#services/queue_workers')
    const { reconcileQueues } = await import('#services/queue_reconciler')
    const { warnAboutRedisDurability } = await import('#services/redis_durability')
    const { default: queueConfig } = await import('#config/queue')

    const known = registeredQueues()
    const unknown = (this.queues ?? []).filter((name) => !known.includes(name as QueueName))
    if (unknown.length > 0) {
      this.logger.error(`Unknown queue(s): ${unknown.join(', ')}. Known: ${known.join(', ')}`)
      this.exitCode = 1
      return this.terminate()
    }
    const queueNames = (this.queues?.length ? this.queues : known) as QueueName[]

    let workers: Worker[] = []
    let reconcileTimer: NodeJS.Timeout | undefined
    this.app.terminating(async () => {
      clearInterval(reconcileTimer)
      await Promise.all(workers.map((worker) => worker.close()))
    })
    this.app.listen('SIGINT', () => this.app.terminate())

    await warnAboutRedisDurability()
    workers = startWorkers(queueNames, this.concurrency)
    this.logger.info(`worker consuming ${queueNames.join(', ')} (concurrency ${this.concurrency})`)

    const reconcile = () =>
      reconcileQueues().catch((error) => this.logger.error(`reconcile failed: ${error.message}`))
    await reconcile()
    reconcileTimer = setInterval(reconcile, queueConfig.reconcileIntervalMs)
  }
}
