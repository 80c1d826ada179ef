import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/**
 * How long a stopping web process keeps serving connections already open
 * before it cuts them: well under the 30 s a platform allows before SIGKILL.
 */
export const DRAIN_MS = 10_000

/**
 * From SIGTERM to exit at most, whatever still runs once the connections
 * are cut (a statement waiting on a lock keeps the pool from closing).
 */
export const STOP_MS = DRAIN_MS + 5_000

/** The answer of a request still in hand when the drain's time is up. */
const STOPPING = JSON.stringify({
  errors: [{ message: 'The server is stopping: try again in a moment' }],
})

/**
 * The HTTP server, made to stop within DRAIN_MS. `server.close()` alone
 * waits for every open connection to end, and a client that keeps one busy
 * (a load balancer's keep-alive pool, a polling SPA) holds the process for as
 * long as it likes. Once `drain()` is called, the server stops accepting,
 * idle connections close at once and every response, in flight or to come on
 * an open connection, says `Connection: close`, so each connection ends after
 * its current request.
 *
 * `drain()` resolves once every request in hand is handled, whether or not
 * its client is still there (a request whose client left still runs its
 * statements, and the app must not close its database pool under it), or
 * at DRAIN_MS: then a request still unanswered (waiting on a lock, a
 * connection, a peer) gets a 503 and every connection is closed.
 */
export function drainableServer(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  let draining: Promise<void> | undefined
  const inHand = new Set<ServerResponse>()
  let settled = () => {}
  const server: Server = createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close')
    inHand.add(res)
    // A rejection stays unhandled, as without the drain
    void Promise.resolve(handler(req, res)).finally(() => {
      inHand.delete(res)
      if (inHand.size === 0) settled()
    })
  })
  return {
    server,
    drain() {
      draining ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(deadline)
          resolve()
        }
        const deadline = setTimeout(() => {
          for (const res of inHand) {
            if (res.headersSent || res.destroyed) continue
            res.writeHead(503, { 'content-type': 'application/json', 'connection': 'close' })
            res.end(STOPPING)
          }
          server.closeAllConnections()
          resolve()
        }, DRAIN_MS)
        settled = done
        server.close()
        for (const res of inHand) if (!res.headersSent) res.setHeader('connection', 'close')
        server.closeIdleConnections()
        if (inHand.size === 0) done()
      })
      return draining
    },
  }
}
