import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import env from '#start/env'
import { callApi, registerOn, startApp, type RunningApp } from '#tests/helpers/app_processes'
import { SmtpInbox, checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { resetState } from '#tests/helpers/state'

test.group('Check-in end to end', (group) => {
  let inbox: SmtpInbox
  let app: RunningApp

  group.each.setup(async () => {
    await resetState()
    inbox = await SmtpInbox.start()
    app = await startApp({ SMTP_PORT: String(inbox.port), CHECKIN_PAST_DUE_DELAY_MS: '200' })
    return async () => {
      await app.stop()
      await inbox.close()
    }
  })

  test('an invoice past due is checked in by email and paid with one click', async ({ assert }) => {
    const token = await registerOn(app, 'camille@example.test')

    const created = await callApi(app, 'POST', '/invoices', {
      token,
      body: {
        number: 'F-2026-101',
        clientName: 'Acme SAS',
        clientEmail: 'compta@acme.test',
        amountCents: 240_000,
        dueDate: DateTime.utc().minus({ days: 1 }).toISODate(),
      },
    })
    assert.equal(created.status, 201)
    const invoiceId = created.body.data.id

    const [mail] = await inbox.waitForMessageTo('camille@example.test')
    assert.isFalse(Boolean(mail.html), 'the check-in email is plain text only')
    assert.include(mail.text, 'F-2026-101')
    assert.include(mail.text, '24 heures')
    assert.lengthOf(inbox.to('compta@acme.test'), 0)
    const checkinToken = checkinTokenFrom(mail)
    assert.include(mail.text, `${app.baseUrl}/api/v1/checkin/${checkinToken}/pending`)

    const click = await fetch(`${app.baseUrl}/api/v1/checkin/${checkinToken}/paid`, {
      redirect: 'manual',
    })
    assert.equal(click.status, 302)
    assert.equal(click.headers.get('location'), `${env.get('WEB_URL')}/checkin/paid`)

    const invoice = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.equal(invoice.body.data.status, 'paid')
    assert.equal(invoice.body.data.paidVia, 'checkin')
    assert.equal(invoice.body.data.checkin.answer, 'paid')
    assert.isTrue(
      invoice.body.data.relances.every(
        (relance: { status: string }) => relance.status === 'cancelled'
      )
    )
    const me = await callApi(app, 'GET', '/me', { token })
    assert.equal(me.body.data.rubis, 1)
    const activity = await callApi(app, 'GET', '/activity', { token })
    const payment = activity.body.data.find(
      (event: { type: string }) => event.type === 'invoice_paid'
    )
    assert.include(payment.label, 'via check-in')

    const second = await fetch(`${app.baseUrl}/api/v1/checkin/${checkinToken}/paid`, {
      redirect: 'manual',
    })
    assert.equal(second.headers.get('location'), `${env.get('WEB_URL')}/checkin/already_answered`)
    const after = await callApi(app, 'GET', '/me', { token })
    assert.equal(after.body.data.rubis, 1)
  })
})
