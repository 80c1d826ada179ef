import { createServer, type Server } from 'node:http'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'
import { registry } from '#metrics/metrics'
import { carriesBearerSecret } from '#support/bearer_secrets'

/**
 * Whether an Authorization header carries METRICS_TOKEN, compared in
 * constant time (over digests, so the length leaks nothing either). True
 * when no token is set.
 */
export function carriesMetricsToken(authorization: string | undefined): boolean {
  const token = env.get('METRICS_TOKEN')
  return !token || carriesBearerSecret(authorization, token)
}

/** This process's metrics as Prometheus text. */
export async function scrape() {
  return { contentType: registry.contentType, body: await registry.metrics() }
}

/**
 * Serves this process's metrics on a port of its own (`GET /metrics`), for
 * the processes without an HTTP server of their own: the worker
 * (WORKER_METRICS_PORT) and the inbound receiver (INBOUND_METRICS_PORT).
 * With METRICS_TOKEN set, a scrape must carry it as a bearer token.
 * Resolves once listening; `close()` stops it.
 */
export async function serveMetrics({
  port,
  host = env.get('HOST'),
  name,
}: {
  port: number
  host?: string
  /** The process, for the log line. */
  name: string
}): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n')
      return
    }
    if (!carriesMetricsToken(request.headers.authorization)) {
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end('Unauthorized\n')
      return
    }
    try {
      const { contentType, body } = await scrape()
      response.writeHead(200, { 'content-type': contentType }).end(body)
    } catch (error) {
      logger.error({ err: error }, 'metrics scrape failed')
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Scrape failed\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  logger.info(`${name} metrics on http://${host}:${port}/metrics`)
  return server
}
