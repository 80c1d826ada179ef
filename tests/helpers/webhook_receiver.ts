import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import db from '@adonisjs/lucid/services/db'
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '#models/webhook_endpoint'
import { createWebhookEndpoint } from '#services/webhooks/webhook_endpoints'
import { waitFor } from '#tests/helpers/wait_for'

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string; at: number }

/** How the receiver answers one request: a status, or a handler of its own. */
type Answer = number | ((response: import('node:http').ServerResponse) => void)

/**
 * A webhook receiver on 127.0.0.1, as a user's endpoint: keeps every
 * request with its raw body, counts connections, and answers each request
 * with the next of `answers` (200 once they run out).
 */
export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = []
  connections = 0
  #answers: Answer[]

  private constructor(
    private readonly server: Server,
    answers: Answer[]
  ) {
    this.#answers = answers
  }

  static async start(answers: Answer[] = []): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', () => {
        receiver!.requests.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        })
        const answer = receiver!.#answers.shift() ?? 200
        if (typeof answer === 'function') return answer(response)
        response.writeHead(answer, { 'content-type': 'text/plain' }).end(`answered ${answer}`)
      })
    })
    receiver = new WebhookReceiver(server, answers)
    server.on('connection', () => receiver!.connections++)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return receiver
  }

  get port() {
    return (this.server.address() as AddressInfo).port
  }

  /** The receiver's URL, on `host` (127.0.0.1 by default). */
  url(host = '127.0.0.1', scheme = 'http') {
    return `${scheme}://${host}:${this.port}/hooks/relance`
  }

  waitForRequests(count: number, timeoutMs = 15_000) {
    return waitFor(
      `${count} webhook request(s) at the receiver (got ${this.requests.length})`,
      () => this.requests.length >= count && this.requests,
      { timeoutMs, intervalMs: 20 }
    )
  }

  close() {
    this.server.closeAllConnections()
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** The body of a request, verified with the endpoint's secret as a receiver does (throws if forged). */
export function verifiedWebhook(secret: string, request: ReceivedWebhook): any {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  })
}

/** An endpoint of the user's for these events, saved as the API saves it; with its plain secret. */
export async function subscribe(
  user: { id: number },
  url: string,
  events: WebhookEventType[] = [...WEBHOOK_EVENT_TYPES]
) {
  const endpoint = await db.transaction((trx) =>
    createWebhookEndpoint(user.id, { url, events }, trx)
  )
  return { endpoint, secret: endpoint.signingSecret }
}
