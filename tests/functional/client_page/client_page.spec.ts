import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { UserFactory } from '#database/factories/user_factory'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { clientPagePath, sentRelanceEmailOf } from '#tests/helpers/client_page'

const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"

test.group('Client page', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('shows the client its pending invoices in its language, with the exact headers', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      fullName: 'Camille Martin',
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
    }).create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-100',
      clientName: 'Atelier Dupont',
      dueDate: DateTime.utc().minus({ days: 12 }).startOf('day'),
    })
    await createScheduledInvoice(user, { number: 'F-101', clientName: 'Atelier Dupont' })
    const { token } = await sentRelanceEmailOf(invoice)

    const response = await client.get(clientPagePath(token))

    response.assertStatus(200)
    assert.equal(response.header('content-type'), 'text/html; charset=utf-8')
    assert.equal(response.header('content-security-policy'), PAGE_CSP)
    assert.equal(response.header('cache-control'), 'no-store')
    assert.equal(response.header('referrer-policy'), 'no-referrer')
    assert.equal(response.header('x-robots-tag'), 'noindex')
    const html = response.text()
    assert.include(html, '<html lang="fr">')
    assert.include(html, 'Vos factures en attente chez Camille Martin')
    assert.include(html, 'Facture F-100')
    assert.include(html, 'Facture F-101')
    assert.include(html, '12 jours de retard')
    assert.include(html, 'FR76 3000 6000 0112 3456 7890 189')
    assert.match(html, /<svg role="img" aria-label="QR code de virement SEPA pour la facture F-100/)
  })
})
