import { createServer, type Server } from 'node:http'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`): no browser is downloaded from npm. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/**
 * A tiny site on a loopback port that answers every path with `html`: the
 * SPA's origin (WEB_URL), or another one, for a browser to load.
 */
export async function serveHtml(port: number, html: (path: string) => string) {
  const server: Server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(html(request.url ?? '/'))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    origin: `http://localhost:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
