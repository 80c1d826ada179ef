import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { Server } from 'node:http'
import { readFile } from 'node:fs/promises'

/**
 * The inbound SMTP receiver: replies and bounces of relance emails, at
 * INBOUND_SMTP_HOST:INBOUND_SMTP_PORT for INBOUND_DOMAIN. Each message is
 * stored in PostgreSQL before `250`; the worker processes it (queue
 * `inbound`). SIGTERM/SIGINT: no new connection, the messages in hand are
 * stored and answered, then it exits.
 */
export default class InboundServe extends BaseCommand {
  static commandName = 'inbound:serve'
  static description = 'Run the inbound SMTP receiver (replies and bounces of relance emails)'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  async run() {
    const { default: env } = await import('#start/env')
    const domain = env.get('INBOUND_DOMAIN')
    if (!domain) {
      this.logger.error('INBOUND_DOMAIN is not set: there is no address to receive mail for')
      this.exitCode = 1
      return this.terminate()
    }
    const keyFile = env.get('INBOUND_TLS_KEY')
    const certFile = env.get('INBOUND_TLS_CERT')
    if (!keyFile !== !certFile) {
      this.logger.error('STARTTLS needs both INBOUND_TLS_KEY and INBOUND_TLS_CERT (PEM files)')
      this.exitCode = 1
      return this.terminate()
    }
    const { InboundReceiver } = await import('#inbound/inbound_receiver')
    const { acceptsInboundAddress, storeInboundMessage, MAX_INBOUND_BYTES } =
      await import('#services/inbound/inbound_messages')
    const { serveMetrics } = await import('#metrics/metrics_server')
    const { default: logger } = await import('@adonisjs/core/services/logger')

    const tls =
      keyFile && certFile
        ? { key: await readFile(keyFile), cert: await readFile(certFile) }
        : undefined
    const host = env.get('INBOUND_SMTP_HOST', '127.0.0.1')
    const receiver = new InboundReceiver({
      host,
      port: env.get('INBOUND_SMTP_PORT', 2525),
      domain,
      maxBytes: MAX_INBOUND_BYTES,
      tls,
      accepts: acceptsInboundAddress,
      async store(message) {
        const ids = await storeInboundMessage({ ...message, source: 'smtp' })
        if (ids.length === 0) throw new Error('no recipient of the message is known any more')
        logger.info(
          { ids, bytes: message.raw.length },
          `inbound message stored (${message.raw.length} bytes)`
        )
      },
      log: {
        info: (message) => logger.info(message),
        warn: (message) => logger.warn(message),
      },
    })

    let metricsServer: Server | undefined
    this.app.terminating(async () => {
      metricsServer?.close()
      metricsServer?.closeAllConnections()
      await receiver.close()
    })
    this.app.listen('SIGINT', () => this.app.terminate())

    const address = await receiver.listen()
    const metricsPort = env.get('INBOUND_METRICS_PORT')
    if (metricsPort !== undefined) {
      metricsServer = await serveMetrics({ port: metricsPort, name: 'inbound receiver' })
    }
    this.logger.info(
      `inbound receiver listening on ${address.address}:${address.port} for ${domain}` +
        ` (STARTTLS ${tls ? 'on' : 'off'}, messages up to ${MAX_INBOUND_BYTES / 1024 / 1024} MB)`
    )
  }
}
