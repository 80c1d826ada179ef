import { test } from '@japa/runner'
import env from '#start/env'
import { checkinOf, invoiceStatusOf, invoiceWithSentCheckin } from '#tests/helpers/invoices'
import { processSceneForEach } from '#tests/helpers/running_app'

test.group('Check-in links behind mail scanners (CHECKIN_CONFIRMATION=page)', (group) => {
  const scene = processSceneForEach(group, {
    app: { CHECKIN_CONFIRMATION: 'page', LOG_LEVEL: 'info' },
  })

  test('GET and HEAD prefetches show the page and change nothing; the button records the answer', async ({
    assert,
  }) => {
    const { app } = scene
    const { invoice, token } = await invoiceWithSentCheckin()
    const link = `${app.baseUrl}/api/v1/checkin/${token}/paid`

    const head = await fetch(link, { method: 'HEAD', redirect: 'manual' })
    const page = await fetch(link, { redirect: 'manual' })
    const html = await page.text()

    assert.equal(head.status, 204)
    assert.equal(page.status, 200)
    assert.include(page.headers.get('content-type'), 'text/html')
    assert.equal(page.headers.get('cache-control'), 'no-store')
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(
      page.headers.get('content-security-policy'),
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(env.get('WEB_URL')).origin}; frame-ancestors 'none'`
    )
    // Absolute actions: the page works whatever path it was reached by
    const checkinUrl = `${app.baseUrl}/api/v1/checkin/${token}`
    assert.include(html, `<form method="post" action="${checkinUrl}/paid">`)
    assert.include(html, `<form method="post" action="${checkinUrl}/pending">`)
    const withSlash = await fetch(`${link}/`)
    assert.include(await withSlash.text(), `<form method="post" action="${checkinUrl}/paid">`)
    const untouched = await checkinOf(invoice.id)
    assert.equal(untouched.status, 'sent')

    const answer = await fetch(link, { method: 'POST', redirect: 'manual' })
    const again = await fetch(link, { method: 'POST', redirect: 'manual' })

    assert.equal(answer.status, 303)
    assert.match(answer.headers.get('location')!, /\/checkin\/paid$/)
    assert.match(again.headers.get('location')!, /\/checkin\/already_answered$/)
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
  })

  test('the token never reaches the logs, not even through a mistyped link', async ({ assert }) => {
    const { app } = scene
    const { token } = await invoiceWithSentCheckin()

    await fetch(`${app.baseUrl}/api/v1/checkin/${token}/paid`)
    await fetch(`${app.baseUrl}/api/v1/checkin/${token}/paid`, {
      method: 'POST',
      redirect: 'manual',
    })
    await fetch(`${app.baseUrl}/api/v1/checkin/${token}/oops`, { redirect: 'manual' })
    await app.web.waitForOutput('/checkin/[token]/oops')

    assert.include(app.web.output, '/checkin/[token]/paid')
    assert.notInclude(app.web.output, token)
  })
})
