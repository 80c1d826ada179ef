import type { IncomingMessage, ServerResponse } from 'node:http'
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
