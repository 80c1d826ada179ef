import http from 'node:http'
import https from 'node:https'
import webhooksConfig from '#config/webhooks'
import { assertAttemptTarget, publicAddressLookup } from '#services/webhooks/webhook_targets'

export type WebhookAnswer = { statusCode: number; body: string }

/**
 * Sockets kept alive between attempts, as any webhook sender does: a new
 * socket's address is checked by its lookup (publicAddressLookup) when it
 * connects, and a kept socket stays connected to that checked address. One
 * pair of agents per rule set, so a socket opened where private targets are
 * allowed is never reused where they are not. An idle socket closes after
 * `IDLE_SOCKET_MS` and never keeps the process alive.
 */
const IDLE_SOCKET_MS = 30_000
const agents = new Map<string, http.Agent>()

function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate ? 'private' : 'public'}`
  let agent = agents.get(key)
  if (!agent) {
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS }
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
    agents.set(key, agent)
  }
  return agent
}

/**
 * One POST of a webhook: no redirect followed (a 3xx is an answer like any
 * other), at most `timeoutMs` from the connection to the last byte read,
 * and at most `maxResponseBytes` of the answer read. Outside development
 * and tests the socket only ever connects to public addresses
 * (webhook_targets.ts). Rejects with the network error, an abort on
 * timeout, or RefusedWebhookTarget.
 */
export function postWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  allowPrivate = webhooksConfig.allowsPrivateTargets()
): Promise<WebhookAnswer> {
  const url = new URL(target)
  assertAttemptTarget(url, allowPrivate)
  const send = url.protocol === 'https:' ? https.request : http.request
  const { timeoutMs, maxResponseBytes } = webhooksConfig

  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Relance-Webhooks/1',
          ...headers,
        },
        agent: agentFor(url.protocol, allowPrivate),
        ...(allowPrivate ? {} : { lookup: publicAddressLookup }),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = []
        let size = 0
        const done = () =>
          resolve({
            statusCode: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        response.on('data', (chunk: Buffer) => {
          const room = maxResponseBytes - size
          chunks.push(chunk.subarray(0, room))
          size += Math.min(chunk.length, room)
          // Enough read: the rest of the answer is not our business
          if (size >= maxResponseBytes) response.destroy()
        })
        // The status has come: an answer cut short (timeout, reset, our own cap) still counts
        response.on('close', done)
        response.on('error', () => {})
      }
    )
    request.on('error', reject)
    request.end(body)
  })
}
