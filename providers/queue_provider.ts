import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Closes the BullMQ producer connections when the app terminates, so a web
 * process stops on SIGTERM instead of being held open by Redis sockets.
 */
export default class QueueProvider {
  constructor(protected app: ApplicationService) {}

  async shutdown() {
    const { closeQueues } = await import('#queue/queues')
    await closeQueues()
  }
}
