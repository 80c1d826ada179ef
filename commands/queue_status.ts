import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * What an operator looks at first: per queue, what Redis holds beside what
 * PostgreSQL promises, how late the oldest overdue promise is, and the
 * failures of the last day; then whether the inbound receiver answers.
 */
export default class QueueStatus extends BaseCommand {
  static commandName = 'queue:status'
  static description = 'Show each queue in Redis beside its rows in PostgreSQL'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { registeredJobs } = await import('#queue/workers')
    const { getQueue } = await import('#queue/queues')

    const table = this.ui
      .table()
      .head([
        'queue',
        'waiting',
        'delayed',
        'active',
        'failed',
        'rows scheduled',
        'rows sent',
        'rows failed',
        'lag',
        'failed in 24 h',
      ])
    for (const [queueName, job] of registeredJobs()) {
      const counts = await getQueue(queueName).getJobCounts(
        'waiting',
        'delayed',
        'active',
        'failed'
      )
      const rows = await job.spec.rowStatus?.()
      const lag = rows?.oldestOverdueAt
        ? `${Math.round((Date.now() - rows.oldestOverdueAt.getTime()) / 1000)} s`
        : '-'
      table.row([
        queueName,
        String(counts.waiting),
        String(counts.delayed),
        String(counts.active),
        String(counts.failed),
        String(rows?.scheduled ?? '-'),
        String(rows?.sent ?? '-'),
        String(rows?.failed ?? '-'),
        lag,
        String(rows?.failedLastDay ?? '-'),
      ])
    }
    table.render()
    await this.#receiverLine()
  }

  /** The inbound SMTP receiver's health: its greeting at INBOUND_SMTP_HOST:PORT, or why not. */
  async #receiverLine() {
    const { default: env } = await import('#start/env')
    const { probeSmtpReceiver } = await import('#inbound/receiver_probe')
    if (!env.get('INBOUND_DOMAIN')) {
      this.logger.info('inbound receiver: off (INBOUND_DOMAIN is not set)')
      return
    }
    const host = env.get('INBOUND_SMTP_HOST', '127.0.0.1')
    const port = env.get('INBOUND_SMTP_PORT', 2525)
    const { up, detail } = await probeSmtpReceiver(host, port)
    if (up) this.logger.info(`inbound receiver ${host}:${port}: up (${detail})`)
    else this.logger.error(`inbound receiver ${host}:${port}: down (${detail})`)
  }
}
