import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import env from '#start/env'
import app from '@adonisjs/core/services/app'
import proxyAddr from 'proxy-addr'
import { defineConfig } from '@adonisjs/core/http'

export const appKey = env.get('APP_KEY')
export const appUrl = env.get('APP_URL')

const trustedProxies = env.get('TRUSTED_PROXIES')

export const http = defineConfig({
  generateRequestId: true,
  // request.ip() (and so the rate limits) reads X-Forwarded-For only from these peers
  trustProxy: trustedProxies === false ? false : proxyAddr.compile(trustedProxies),
  // The chain runs from the peer through each trusted proxy to the first
  // address none of them vouches for. A forwarded value that is no address
  // (`garbage`, `300.1.1.1`, 5,000 characters) is ignored: the client is then
  // the last real address, the proxy's, not a rate-limit key of its own
  getIp(request) {
    return (
      request.ips().findLast((address) => isIP(address) !== 0) ??
      request.request.socket.remoteAddress ??
      ''
    )
  },
  // A path that does not decode (`%C0%AF`) never reaches the router: it is
  // refused like any other error, in JSON (an HTML page on the client's page)
  onBadUrl(request: IncomingMessage, response: ServerResponse) {
    if (/^\/client(\/|$|\?)/.test(request.url ?? '')) {
      import('#services/client_page/client_page_errors')
        .then(({ writeUnreadableUrlPage }) => writeUnreadableUrlPage(response))
        .catch(() => response.writeHead(400).end())
      return
    }
    response.writeHead(400, {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    })
    response.end(JSON.stringify({ errors: [{ message: 'The URL is malformed' }] }))
  },
  // The native serializer: the default one calls a JavaScript replacer on
  // every value, and held the event loop 80 ms writing a draft of 10,000
  // rows (native: 7 ms). A BigInt, which native JSON refuses, goes as a string
  serializeJSON(value: unknown) {
    try {
      return JSON.stringify(value)
    } catch {
      return JSON.stringify(value, (_key, item) =>
        typeof item === 'bigint' ? item.toString() : item
      )
    }
  },
  allowMethodSpoofing: false,
  useAsyncLocalStorage: false,
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
