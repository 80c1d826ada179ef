import { test } from '@japa/runner'
import { checkinPage } from '#tests/helpers/checkin_links'
import { callApi, postInvoiceOn, registerVerifiedOn } from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'

test.group('Check-in end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('an invoice past due is checked in by email and paid with one click', async ({ assert }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')

    const created = await postInvoiceOn(app, token, { number: 'F-2026-101', amountCents: 240_000 })
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
    assert.equal(click.headers.get('location'), checkinPage('paid'))

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
    assert.equal(second.headers.get('location'), checkinPage('already_answered'))
    const after = await callApi(app, 'GET', '/me', { token })
    assert.equal(after.body.data.rubis, 1)
  })
})
