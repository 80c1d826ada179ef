import { mkdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

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

/** Where the screenshots of the pages people see are saved, to be looked at. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../tmp/browser/', import.meta.url))

const WIDTHS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
}

/**
 * Screenshots of the page as it is now, at a phone's width and a desktop's:
 * `tmp/browser/<name>-phone.png` and `<name>-desktop.png`, whole pages.
 */
export async function screenshotAtWidths(page: Page, name: string) {
  await mkdir(SCREENSHOTS_DIR, { recursive: true })
  const original = page.viewportSize()
  for (const [device, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size)
    await page.screenshot({ path: `${SCREENSHOTS_DIR}/${name}-${device}.png`, fullPage: true })
  }
  if (original) await page.setViewportSize(original)
}
