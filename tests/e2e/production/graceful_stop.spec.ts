import { test } from '@japa/runner'
import { Agent, request } from 'node:http'
import net from 'node:net'
import { startWeb } from '#tests/helpers/app_processes'
import { waitFor } from '#tests/helpers/wait_for'
import { DRAIN_MS } from '#support/http_drain'

/** Resolves once nothing listens on the port any more: the server stopped accepting. */
function refusesConnections(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

/**
 * Requests /health back to back over a keep-alive pool, as a load balancer
 * does, until stopped; counts the answers.
 */
function busyKeepAliveClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  let running = true
  let answers = 0
  const loop = async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const req = request(`${baseUrl}/api/v1/health`, { agent }, (res) => {
          res.resume()
          res.once('end', () => {
            answers++
            resolve()
          })
        })
        // Refused once the process is gone: the loop goes on until stopped
        req.once('error', () => resolve())
        req.end()
      })
    }
  }
  const loops = Promise.all(Array.from({ length: 4 }, loop))
  return {
    get answers() {
      return answers
    },
    async stop() {
      running = false
      await loops
      agent.destroy()
    },
  }
}

test.group('Graceful stop of the web process', () => {
  test('on SIGTERM a request in flight is answered with Connection: close, and the process exits while clients keep their connections busy', async ({
    assert,
    cleanup,
  }) => {
    const { baseUrl, web } = await startWeb()
    const port = Number(new URL(baseUrl).port)
    const client = busyKeepAliveClient(baseUrl)
    cleanup(async () => {
      await client.stop()
      if (!web.hasExited) await web.stop('SIGKILL')
    })
    await waitFor('the keep-alive client to be answered', () => client.answers > 10)

    // A request whose body is still on its way when the signal comes
    const body = JSON.stringify({ email: 'nobody@relance.test', password: 'not-the-password' })
    const socket = net.connect({ host: '127.0.0.1', port })
    await new Promise((resolve) => socket.once('connect', resolve))
    let reply = ''
    let closedByServer = false
    socket.on('data', (chunk) => (reply += chunk))
    socket.once('end', () => (closedByServer = true))
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Accept: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`
    )

    const signalledAt = Date.now()
    // An error (SIGTERM ignored) is asserted below, not left unhandled
    const exited = web.stop('SIGTERM', DRAIN_MS + 5_000).catch((error: Error) => error.message)
    await waitFor('the server to stop accepting connections', () => refusesConnections(port))
    socket.write(body.slice(10))
    // Answered, then closed: well before the deadline at which open connections are cut
    await waitFor('the server to close the connection after its answer', () => closedByServer, {
      timeoutMs: DRAIN_MS / 2,
    })

    const [head] = reply.split('\r\n\r\n')
    assert.match(head, /^HTTP\/1\.1 4\d\d /)
    assert.match(head, /\r\nconnection: close\r\n/i)
    assert.equal(await exited, 0)
    assert.isBelow(Date.now() - signalledAt, DRAIN_MS)
  })
})
