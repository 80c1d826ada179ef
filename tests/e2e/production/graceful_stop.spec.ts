import { test } from '@japa/runner'
import { Agent, request } from 'node:http'
import net from 'node:net'
import { startWeb } from '#tests/helpers/app_processes'
import { waitFor } from '#tests/helpers/wait_for'
import db from '@adonisjs/lucid/services/db'
import { DRAIN_MS, STOP_MS } from '#support/http_drain'
import { invoiceWithSentCheckin } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'

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

/** Sends a raw GET and keeps what comes back until the server closes. */
function rawGet(port: number, path: string) {
  const socket = net.connect({ host: '127.0.0.1', port })
  let reply = ''
  socket.on('data', (chunk) => (reply += chunk))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  return {
    closed,
    get reply() {
      return reply
    },
  }
}

test.group('Graceful stop of the web process', (group) => {
  group.each.setup(() => resetState())

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

  test('on SIGTERM a request held up in the database gets a 503 at the drain deadline, nothing is recorded, and the process exits', async ({
    assert,
    cleanup,
  }) => {
    const { baseUrl, web } = await startWeb()
    cleanup(async () => {
      if (!web.hasExited) await web.stop('SIGKILL')
    })
    const { token, invoice } = await invoiceWithSentCheckin()

    // Another transaction holds the check-in's row: the click waits on it
    const holder = await db.transaction()
    cleanup(() => (holder.isCompleted ? undefined : holder.rollback()))
    await holder.from('checkin_tasks').where('invoice_id', invoice.id).forUpdate().select('id')
    const {
      rows: [{ pid }],
    } = await holder.rawQuery('SELECT pg_backend_pid() AS pid')
    const click = rawGet(Number(new URL(baseUrl).port), `/api/v1/checkin/${token}/paid`)
    await waitFor('the click to wait for the locked row', async () => {
      const blocked = await db.rawQuery(
        'SELECT count(*)::int AS count FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))',
        [pid]
      )
      return blocked.rows[0].count > 0
    })

    const signalledAt = Date.now()
    const exited = web.stop('SIGTERM', STOP_MS + 5_000).catch((error: Error) => error.message)
    await waitFor('the click to be answered', () => click.reply.includes('\r\n\r\n'), {
      timeoutMs: DRAIN_MS + 5_000,
    })
    const answeredAfter = Date.now() - signalledAt
    assert.equal(await exited, 1)
    const stoppedAfter = Date.now() - signalledAt
    await click.closed
    await holder.rollback()

    const [head] = click.reply.split('\r\n\r\n')
    assert.match(head, /^HTTP\/1\.1 503 /)
    assert.match(head, /\r\nconnection: close\r\n/i)
    assert.isAtLeast(answeredAfter, DRAIN_MS - 500)
    assert.isBelow(stoppedAfter, STOP_MS + 2_000)
    // Its transaction ended with the process: the check-in is still to answer
    const task = await db.from('checkin_tasks').where('invoice_id', invoice.id).firstOrFail()
    assert.equal(task.status, 'sent')
  }).timeout(60_000)
})
