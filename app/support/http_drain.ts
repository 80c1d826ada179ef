import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/**
 * How long a stopping web process keeps serving connections already open
 * before it cuts them: well under the 30 s a platform allows before SIGKILL.
 */
export const DRAIN_MS = 10_000

/**
 * The HTTP server, made to stop within DRAIN_MS. `server.close()` alone
 * waits for every open connection to end, and a client that keeps one busy
 * (a load balancer's keep-alive pool, a polling SPA) holds the process for as
 * long as it likes. Once `drain()` is called, idle connections close at once
 * and every response, in flight or to come on an open connection, says
 * `Connection: close`, so each connection ends after its current request;
 * whatever is still open at the deadline is closed.
 */
export function drainableServer(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  let draining = false
  const inFlight = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close')
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
    handler(req, res)
  })
  return {
    server,
    drain() {
      if (draining) return
      draining = true
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
      server.closeIdleConnections()
      setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref()
    },
  }
}
