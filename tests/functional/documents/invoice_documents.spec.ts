import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import drive from '@adonisjs/drive/services/main'
import Invoice from '#models/invoice'
import { UserFactory } from '#database/factories/user_factory'
import { deliverRelance } from '#services/relances/relance_delivery'
import { createScheduledInvoice, relanceDueNow } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { sentRelanceEmailOf } from '#tests/helpers/client_page'
import { sentMessages } from '#tests/helpers/mail_fake'
import {
  oversizedPdf,
  simplePdf,
  storedDocuments,
  truncatedPdf,
  uploadDocument,
  attachPdf,
  downloadFrom,
  zipNamedPdf,
} from '#tests/helpers/documents'
import { dayFromToday } from '#tests/helpers/calendar'

test.group('Invoice documents', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))
  group.each.teardown(() => mail.restore())

  test('an uploaded PDF is the invoice document: shown, downloaded byte for byte, replaced, removed', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, { number: 'F-2026/001' })
    const pdf = await simplePdf('Facture F-2026/001', 'Facture n°1 «été».pdf')
    const before = await storedDocuments()

    const uploaded = await uploadDocument(client, user, invoice.id, pdf)

    uploaded.assertStatus(200)
    const { document } = uploaded.body().data
    assert.equal(document.filename, 'Facture n°1 «été».pdf')
    assert.equal(document.sizeBytes, pdf.bytes.length)
    assert.isTrue(DateTime.fromISO(document.uploadedAt).isValid)
    const listed = await client.get('/api/v1/invoices').loginAs(user)
    assert.deepEqual(listed.body().data[0].document, document)
    const stored = await storedDocuments()
    assert.lengthOf(stored, before.length + 1)
    // The key is the app's own: the user's folder and a UUID, nothing of the upload's name
    const [path] = stored.filter((file) => !before.includes(file))
    assert.match(path, new RegExp(`^${user.id}/[0-9a-f-]{36}\\.pdf$`))

    const { response, bytes } = await downloadFrom(`/api/v1/invoices/${invoice.id}/document`, user)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/pdf')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(
      response.headers.get('content-disposition'),
      `attachment; filename="Facture n_1 _ete_.pdf"; filename*=UTF-8''Facture%20n%C2%B01%20%C2%AB%C3%A9t%C3%A9%C2%BB.pdf`
    )
    assert.isTrue(bytes.equals(pdf.bytes))

    const replacement = await simplePdf('Facture F-2026/001, corrigée', 'corrigee.pdf')
    await attachPdf(client, user, invoice.id, replacement)
    const afterReplace = await storedDocuments()
    assert.lengthOf(afterReplace, before.length + 1)
    assert.notInclude(afterReplace, path)
    const again = await downloadFrom(`/api/v1/invoices/${invoice.id}/document`, user)
    assert.isTrue(again.bytes.equals(replacement.bytes))

    const removed = await client.delete(`/api/v1/invoices/${invoice.id}/document`).loginAs(user)
    removed.assertStatus(204)
    assert.deepEqual(await storedDocuments(), before)
    const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(user)
    assert.isNull(shown.body().data.document)
    assertErrorBody(
      assert,
      await client.get(`/api/v1/invoices/${invoice.id}/document`).loginAs(user),
      404
    )
    // Removing again: nothing to do
    const removedAgain = await client
      .delete(`/api/v1/invoices/${invoice.id}/document`)
      .loginAs(user)
    removedAgain.assertStatus(204)
  })

  test('a file that is no whole PDF of at most 5 MB is refused, and nothing is stored', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const before = await storedDocuments()
    const refusals: [string, { filename: string; bytes: Buffer }, number, RegExp][] = [
      ['a ZIP named .pdf', zipNamedPdf(), 422, /is not a PDF: it does not start with %PDF-/],
      ['a PDF cut short', await truncatedPdf(), 422, /is not a complete PDF/],
      ['an empty file', { filename: 'vide.pdf', bytes: Buffer.alloc(0) }, 422, /is empty/],
      [
        'text named .pdf',
        { filename: 'facture.pdf', bytes: Buffer.from('Facture F-1: 100 €\n') },
        422,
        /is not a PDF/,
      ],
      ['a PDF over 5 MB', await oversizedPdf(), 413, /over the 5 MB limit/],
    ]

    for (const [label, file, status, message] of refusals) {
      const response = await uploadDocument(client, user, invoice.id, file)
      const [error] = assertErrorBody(assert, response, status)
      assert.match(error.message, message, label)
    }
    assertErrorBody(
      assert,
      await client.put(`/api/v1/invoices/${invoice.id}/document`).loginAs(user),
      422
    )

    assert.deepEqual(await storedDocuments(), before)
    await invoice.refresh()
    assert.isNull(invoice.document)
  })

  test('another user invoice is a 404 for each verb, and nothing is stored or removed', async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const intruder = await UserFactory.create()
    const invoice = await createScheduledInvoice(owner)
    await attachPdf(client, owner, invoice.id, await simplePdf('F-1'))
    const before = await storedDocuments()

    assertErrorBody(
      assert,
      await uploadDocument(client, intruder, invoice.id, await simplePdf('F-1')),
      404
    )
    assertErrorBody(
      assert,
      await client.get(`/api/v1/invoices/${invoice.id}/document`).loginAs(intruder),
      404
    )
    assertErrorBody(
      assert,
      await client.delete(`/api/v1/invoices/${invoice.id}/document`).loginAs(intruder),
      404
    )
    assert.deepEqual(await storedDocuments(), before)
    await invoice.refresh()
    assert.isNotNull(invoice.document)
  })

  test('the client page links each PDF through its own token; another client invoice is a 404', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, { number: 'F-2026/002' })
    const pdf = await simplePdf('Facture F-2026/002', 'ma facture.pdf')
    await attachPdf(client, user, invoice.id, pdf)
    const otherClient = await createScheduledInvoice(user, { clientEmail: 'other@client.test' })
    await attachPdf(client, user, otherClient.id, await simplePdf('x'))
    const { token } = await sentRelanceEmailOf(invoice)

    const page = await client.get(`/client/${token}`)
    page.assertStatus(200)
    const link = `/client/${token}/invoices/${invoice.id}/document`
    assert.include(page.text(), `href="${link}"`)
    assert.include(page.text(), 'Télécharger la facture F-2026/002 (PDF,')

    const { response, bytes } = await downloadFrom(link)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/pdf')
    assert.equal(response.headers.get('content-disposition'), 'attachment; filename=F-2026-002.pdf')
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.isTrue(bytes.equals(pdf.bytes))

    for (const path of [
      `/client/${token}/invoices/${otherClient.id}/document`,
      `/client/${'A'.repeat(43)}/invoices/${invoice.id}/document`,
    ]) {
      const refused = await downloadFrom(path)
      assert.equal(refused.response.status, 404, path)
      assert.match(refused.response.headers.get('content-type') ?? '', /^text\/html/)
    }
  })

  test('the preview lists the PDFs the relance attaches; past 10 MB the text sends the client to the page', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const dueDate = dayFromToday(-12)
    const invoices: Invoice[] = []
    for (const number of ['A/1', 'A:1', 'A-3']) {
      const invoice = await createScheduledInvoice(user, { number, dueDate })
      await attachPdf(client, user, invoice.id, await simplePdf(number))
      await relanceDueNow(invoice.id)
      invoices.push(await invoice.refresh())
    }

    const preview = async () => {
      const response = await client
        .get(`/api/v1/invoices/${invoices[0].id}/relances/1/preview`)
        .loginAs(user)
      return response.body().data
    }
    const grouped = await preview()
    assert.deepEqual(grouped.attachments, [
      { filename: 'A-1.pdf', sizeBytes: invoices[0].documentSizeBytes },
      { filename: 'A-1 (2).pdf', sizeBytes: invoices[1].documentSizeBytes },
      { filename: 'A-3.pdf', sizeBytes: invoices[2].documentSizeBytes },
    ])
    assert.notInclude(grouped.text, 'trop lourd')

    // Two PDFs of 4.5 MB fit in 10 MB; the third waits on the page
    await Invoice.query()
      .whereIn(
        'id',
        invoices.map(({ id }) => id)
      )
      .update({ document_size_bytes: 4.5 * 1024 * 1024 })
    const heavy = await preview()
    assert.deepEqual(
      heavy.attachments.map(({ filename }: { filename: string }) => filename),
      ['A-1.pdf', 'A-1 (2).pdf']
    )
    assert.include(
      heavy.text,
      'Le PDF de la facture A-3 est trop lourd pour cet email : téléchargez-le sur la page ci-dessous.\n\nDéjà payé'
    )
  })

  test('a relance attaches the PDF as it leaves, and goes without it when the file is gone', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-77',
      dueDate: dayFromToday(-12),
    })
    const pdf = await simplePdf('Facture F-77')
    await attachPdf(client, user, invoice.id, pdf)
    const relance = await relanceDueNow(invoice.id)

    assert.deepEqual(await deliverRelance(relance.id), { kind: 'sent' })
    const [attachment] = sentMessages(fake)[0].toJSON().message.attachments ?? []
    assert.equal(attachment.filename, 'F-77.pdf')
    assert.equal(attachment.contentType, 'application/pdf')
    // The fake mailer keeps what it built, the content base64-encoded
    assert.isTrue(Buffer.from(String(attachment.content), 'base64').equals(pdf.bytes))

    // The file removed behind the app's back: the next relance still goes, without it
    await invoice.refresh()
    await drive.use().delete(invoice.documentPath!)
    const second = await relanceDueNow(invoice.id, 2)
    assert.deepEqual(await deliverRelance(second.id), { kind: 'sent' })
    assert.isUndefined(sentMessages(fake)[1].toJSON().message.attachments)
  })
})
