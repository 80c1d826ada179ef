import { test } from '@japa/runner'
import RelanceEmail from '#models/relance_email'
import { hashLinkToken } from '#support/link_tokens'
import mail from '@adonisjs/mail/services/main'
import { UserFactory } from '#database/factories/user_factory'
import { deliverRelance } from '#services/relances/relance_delivery'
import { createScheduledInvoice, relanceDueNow } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { sentMessages } from '#tests/helpers/mail_fake'
import { dayFromToday } from '#tests/helpers/calendar'

const TEMPLATE = {
  locale: 'fr',
  subject: 'Facture {{invoiceNumber}} : {{daysLate}} jours',
  body: 'Bonjour {{clientName}},\nIl reste {{amount}} à régler.\n{{paymentInstructions}}\n{{userName}}',
}

test.group('Relance templates', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('a saved template is listed, replaced by a second save, and deleted', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const saved = await client.put('/api/v1/relance-templates/2').json(TEMPLATE).loginAs(user)
    saved.assertStatus(200)
    saved.assertBodyContains({ data: { sequence: 2, locale: 'fr', subject: TEMPLATE.subject } })
    const again = await client
      .put('/api/v1/relance-templates/2')
      .json({ ...TEMPLATE, subject: 'Encore {{invoiceNumber}}' })
      .loginAs(user)
    again.assertStatus(200)
    await client
      .put('/api/v1/relance-templates/2')
      .json({ ...TEMPLATE, locale: 'en' })
      .loginAs(user)

    const listed = await client.get('/api/v1/relance-templates').loginAs(user)
    listed.assertStatus(200)
    assert.deepEqual(
      listed.body().data.map((row: any) => [row.sequence, row.locale, row.subject]),
      [
        [2, 'en', TEMPLATE.subject],
        [2, 'fr', 'Encore {{invoiceNumber}}'],
      ]
    )

    const deleted = await client.delete('/api/v1/relance-templates/2?locale=fr').loginAs(user)
    deleted.assertStatus(204)
    const after = await client.get('/api/v1/relance-templates').loginAs(user)
    assert.deepEqual(
      after.body().data.map((row: any) => row.locale),
      ['en']
    )
  })

  test('templates are the user own: another user sees none', async ({ client, assert }) => {
    const owner = await UserFactory.create()
    const other = await UserFactory.create()
    await client.put('/api/v1/relance-templates/1').json(TEMPLATE).loginAs(owner)

    const listed = await client.get('/api/v1/relance-templates').loginAs(other)
    await client.delete('/api/v1/relance-templates/1?locale=fr').loginAs(other)

    assert.deepEqual(listed.body().data, [])
    const kept = await client.get('/api/v1/relance-templates').loginAs(owner)
    assert.lengthOf(kept.body().data, 1)
  })

  test('an unknown placeholder, an empty text or one past 5,000 characters is a 422 naming it', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const cases = [
      { body: { ...TEMPLATE, body: 'Payez {{iban}}' }, field: 'body', names: 'iban' },
      { body: { ...TEMPLATE, subject: '{{montant}}' }, field: 'subject', names: 'montant' },
      { body: { ...TEMPLATE, subject: '' }, field: 'subject' },
      { body: { ...TEMPLATE, body: '   ' }, field: 'body' },
      { body: { ...TEMPLATE, body: 'x'.repeat(5_001) }, field: 'body' },
      { body: { ...TEMPLATE, locale: 'de' }, field: 'locale' },
    ]
    for (const { body, field, names } of cases) {
      const response = await client.put('/api/v1/relance-templates/1').json(body).loginAs(user)
      const [error] = assertErrorBody(assert, response, 422)
      assert.equal(error.field, field)
      if (names) assert.include(error.message, `"${names}"`)
    }
    for (const query of ['', '?locale=de', '?locale[]=fr', '?locale=%00', "?locale=' OR '1'='1"]) {
      const refused = await client.delete(`/api/v1/relance-templates/1${query}`).loginAs(user)
      assert.equal(assertErrorBody(assert, refused, 422)[0].field, 'locale', query)
    }
    for (const path of ['/api/v1/relance-templates/0', '/api/v1/relance-templates/11']) {
      const response = await client.put(path).json(TEMPLATE).loginAs(user)
      assertErrorBody(assert, response, 404)
    }
    const listed = await client.get('/api/v1/relance-templates').loginAs(user)
    assert.deepEqual(listed.body().data, [])
  })

  test('the relance of a step with a template is written from it, in plain text', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({ fullName: 'Camille Martin' }).create()
    await client
      .patch('/api/v1/me')
      .json({ paymentInstructions: 'IBAN FR76 <b>1234</b>' })
      .loginAs(user)
    await client.put('/api/v1/relance-templates/1').json(TEMPLATE).loginAs(user)
    const invoice = await createScheduledInvoice(user, {
      number: 'F-200',
      clientName: 'Acme {{userName}}',
      dueDate: dayFromToday(-12),
    })
    const relance = await relanceDueNow(invoice.id)

    await deliverRelance(relance.id)

    const { subject, text, html } = sentMessages(fake)[0].toJSON().message
    assert.equal(subject, 'Facture F-200 : 12 jours')
    assert.match(
      text as string,
      /^Bonjour Acme \{\{userName\}\},\nIl reste 1\s250,00\s€ à régler\.\nIBAN FR76 <b>1234<\/b>\nCamille Martin\n\nDéjà payé, une date à proposer, une question \? http\S+\/client\/[\w-]{43}$/
    )
    assert.isUndefined(html)
  })
})

test.group('Relance preview', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('answers what the relance would send now, as the job then sends it', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({ email: 'camille@example.test' }).create()
    await client.patch('/api/v1/me').json({ latePenaltyRate: 12.5 }).loginAs(user)
    const invoice = await createScheduledInvoice(user, {
      number: 'F-300',
      clientEmail: 'compta@acme.test',
      dueDate: dayFromToday(-20),
    })
    const relance = await relanceDueNow(invoice.id, 2)

    const response = await client
      .get(`/api/v1/invoices/${invoice.id}/relances/2/preview`)
      .loginAs(user)

    response.assertStatus(200)
    const preview = response.body().data
    assert.deepEqual(Object.keys(preview).sort(), [
      'attachments',
      'replyTo',
      'scheduledAt',
      'subject',
      'text',
      'to',
    ])
    assert.equal(preview.to, 'compta@acme.test')
    assert.equal(preview.replyTo, 'camille@example.test')
    assert.equal(preview.scheduledAt, relance.scheduledAt.toISO())
    assert.include(preview.text, 'pénalités de retard au taux annuel de 12,5 %')
    // No PDF uploaded: nothing attached
    assert.deepEqual(preview.attachments, [])

    await deliverRelance(relance.id)
    const sent = sentMessages(fake)[0].toJSON().message
    assert.equal(sent.subject, preview.subject)
    // The page link is made as the email leaves: the preview says where it goes
    const link = /\/client\/([\w-]{43})$/.exec(sent.text as string)!
    assert.equal((sent.text as string).replace(link[0], '/client/<token>'), preview.text)
    await relance.refresh()
    const email = await RelanceEmail.findOrFail(relance.emailId)
    assert.equal(email.linkTokenHash, hashLinkToken(link[1]))
    assert.equal(email.clientId, invoice.clientId)
  })

  test('another user invoice, or a step without a relance, is a 404', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)

    for (const [who, path] of [
      [other, `/api/v1/invoices/${invoice.id}/relances/1/preview`],
      [user, `/api/v1/invoices/${invoice.id}/relances/4/preview`],
      [user, `/api/v1/invoices/${invoice.id}/relances/0/preview`],
      [user, `/api/v1/invoices/${invoice.id}/relances/abc/preview`],
    ] as const) {
      assertErrorBody(assert, await client.get(path).loginAs(who), 404)
    }
  })
})
