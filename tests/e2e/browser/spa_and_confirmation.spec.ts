import { test } from '@japa/runner'
import type { Browser } from 'playwright-core'
import { freePort, postInvoiceOn, registerOn, startWeb } from '#tests/helpers/app_processes'
import {
  launchChromium,
  requireChromium,
  screenshotAtWidths,
  serveHtml,
} from '#tests/helpers/browser'
import { invoiceStatusOf, invoiceWithSentCheckin } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { DateTime } from 'luxon'
import { UserFactory } from '#database/factories/user_factory'
import { generateLinkToken } from '#support/link_tokens'

await requireChromium()

const PASSWORD = 'a-long-password'

/**
 * What the SPA does first: log in, then list the invoices, with fetch from
 * its own origin. The outcome lands in `window.outcome`.
 */
function spaPage(apiBase: string, email: string) {
  return `<!doctype html><meta charset="utf-8"><title>SPA</title><script>
window.outcome = (async () => {
  try {
    const login = await fetch(${JSON.stringify(`${apiBase}/auth/login`)}, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: ${JSON.stringify(email)}, password: ${JSON.stringify(PASSWORD)} }),
    })
    const { data } = await login.json()
    const list = await fetch(${JSON.stringify(`${apiBase}/invoices`)}, {
      headers: { Authorization: 'Bearer ' + data.token },
    })
    const invoices = await list.json()
    return { status: list.status, numbers: invoices.data.map((invoice) => invoice.number) }
  } catch (error) {
    return { error: String(error) }
  }
})()
</script>`
}

test.group('In a real browser (headless Chromium)', (group) => {
  let browser: Browser
  let spaPort: number
  let stops: (() => Promise<unknown>)[] = []

  group.setup(async () => {
    browser = await launchChromium()
    return () => browser.close()
  })
  group.each.setup(async () => {
    await resetState({ rateLimits: true })
    spaPort = await freePort()
    return async () => {
      for (const stop of stops.splice(0).reverse()) await stop()
    }
  })

  /** The API with WEB_URL on the SPA's port; stopped after the test. */
  async function startApi(env: Record<string, string> = {}) {
    const api = await startWeb({ WEB_URL: `http://localhost:${spaPort}`, ...env })
    stops.push(() => api.web.stop())
    return { ...api, apiBase: `${api.baseUrl}/api/v1` }
  }

  test('the SPA at WEB_URL logs in and lists invoices; a page of another origin is refused', async ({
    assert,
  }) => {
    const { baseUrl, apiBase } = await startApi()
    const email = 'camille@example.test'
    const token = await registerOn({ baseUrl }, email)
    const created = await postInvoiceOn({ baseUrl }, token, {
      number: 'F-BROWSER-1',
      amountCents: 12_000,
    })
    assert.equal(created.status, 201)

    const spa = await serveHtml(spaPort, () => spaPage(apiBase, email))
    stops.push(spa.stop)
    const other = await serveHtml(await freePort(), () => spaPage(apiBase, email))
    stops.push(other.stop)

    const context = await browser.newContext()
    stops.push(() => context.close())
    const page = await context.newPage()

    await page.goto(spa.origin)
    assert.deepEqual(await page.evaluate('window.outcome'), {
      status: 200,
      numbers: ['F-BROWSER-1'],
    })

    await page.goto(other.origin)
    const refused = (await page.evaluate('window.outcome')) as { error?: string }
    assert.match(String(refused.error), /Failed to fetch/)
  })

  test('the confirmation page: a screenshot, then its button records the answer and lands on WEB_URL/checkin/paid', async ({
    assert,
  }) => {
    const { apiBase } = await startApi({ CHECKIN_CONFIRMATION: 'page' })
    const spa = await serveHtml(
      spaPort,
      (path) => `<!doctype html><title>SPA</title><h1>${path}</h1>`
    )
    stops.push(spa.stop)
    const { invoice, token } = await invoiceWithSentCheckin()

    const context = await browser.newContext()
    stops.push(() => context.close())
    const page = await context.newPage()
    const shown = await page.goto(`${apiBase}/checkin/${token}/paid`)
    assert.equal(shown?.status(), 200)
    await screenshotAtWidths(page, 'checkin_confirmation')
    assert.equal(await invoiceStatusOf(invoice.id), 'pending', 'showing the page changes nothing')

    await page.getByRole('button', { name: /Yes, I have been paid/ }).click()
    await page.waitForURL(`${spa.origin}/checkin/paid`, { timeout: 10_000 })

    assert.equal(await page.textContent('h1'), '/checkin/paid')
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
  })

  test('the verification page: a screenshot, then its button verifies and lands on WEB_URL/email-verification/verified', async ({
    assert,
  }) => {
    const { apiBase } = await startApi()
    const spa = await serveHtml(
      spaPort,
      (path) => `<!doctype html><title>SPA</title><h1>${path}</h1>`
    )
    stops.push(spa.stop)
    const token = generateLinkToken()
    const user = await UserFactory.apply('unverified')
      .merge({ emailVerificationTokenHash: token.hashed, emailVerificationSentAt: DateTime.now() })
      .create()

    const context = await browser.newContext()
    stops.push(() => context.close())
    const page = await context.newPage()
    const shown = await page.goto(`${apiBase}/auth/verify-email/${token.plain}`)
    assert.equal(shown?.status(), 200)
    await screenshotAtWidths(page, 'email_verification_confirmation')
    await user.refresh()
    assert.isNull(user.emailVerifiedAt, 'showing the page changes nothing')

    await page.getByRole('button', { name: /Confirm my address/ }).click()
    await page.waitForURL(`${spa.origin}/email-verification/verified`, { timeout: 10_000 })

    assert.equal(await page.textContent('h1'), '/email-verification/verified')
    await user.refresh()
    assert.isNotNull(user.emailVerifiedAt)
  })
})
