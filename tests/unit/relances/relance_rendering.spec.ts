import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { errors } from '@vinejs/vine'
import Client from '#models/client'
import Invoice from '#models/invoice'
import User from '#models/user'
import { renderRelance, type RelanceDraft } from '#mails/relance_content'
import { fillPlaceholders, unknownPlaceholders } from '#support/text_templates'
import RelanceTemplate from '#models/relance_template'
import { saveRelanceTemplateValidator } from '#validators/relance_template'

const NOW = DateTime.fromISO('2026-03-20T10:00:00', { zone: 'Europe/Paris' })
const PAGE_URL = 'https://api.relance.test/client/page-token'
const PAGE_LINE = `Déjà payé, une date à proposer, une question ? ${PAGE_URL}`

function people(overrides: { user?: Partial<User>; client?: Partial<Client> } = {}) {
  const user = new User()
  user.merge({
    fullName: 'Camille Martin',
    email: 'camille@example.test',
    timezone: 'Europe/Paris',
    locale: 'fr',
    paymentInstructions: null,
    latePenaltyRate: null,
    ...overrides.user,
  })
  const client = new Client()
  client.merge({
    name: 'Boulangerie Martin',
    email: 'compta@boulangerie.test',
    locale: 'fr',
    isBusiness: true,
    ...overrides.client,
  })
  return { user, client }
}

let nextId = 0
function invoice(number: string, amountCents: number, dueDate: string, currency = 'EUR') {
  const row = new Invoice()
  row.merge({ number, amountCents, currency, dueDate: DateTime.fromISO(dueDate, { zone: 'utc' }) })
  row.id = ++nextId
  return row
}

/** Step `sequence` of the relance of `invoices` from `parties`, as of NOW. */
function render(
  parties: ReturnType<typeof people>,
  invoices: Invoice[],
  sequence: number,
  template: RelanceDraft['template'] = null
) {
  return renderRelance({ ...parties, invoices, sequence, template, pageUrl: PAGE_URL, now: NOW })
}

test.group('Relance rendering', () => {
  test('step 1 for a client without instructions reads as it always has', ({ assert }) => {
    const { subject, text } = render(people(), [invoice('F-77', 125_000, '2026-03-08')], 1)

    assert.equal(subject, 'Petit rappel : facture F-77')
    assert.equal(
      text,
      [
        'Bonjour Boulangerie Martin,',
        '',
        "Sauf erreur de ma part, je n'ai pas encore reçu le règlement de la facture F-77.",
        'Montant : 1\u202f250,00\u00a0€. Échéance : 8 mars 2026 (12 jours de retard).',
        '',
        'Si le paiement est déjà parti, merci de ne pas tenir compte de ce message.',
        '',
        'Bien cordialement,',
        'Camille Martin',
        '',
        PAGE_LINE,
      ].join('\n')
    )
  })

  test('from step 2 a business client reads the late terms; instructions close the email', ({
    assert,
  }) => {
    const parties = people({
      user: { latePenaltyRate: 10, paymentInstructions: 'IBAN FR76 3000 6000 0112 3456 7890 189' },
    })
    const { text } = render(parties, [invoice('F-78', 100_000, '2026-02-18')], 2)

    // 1,000.00 × 10 % × 30 / 365 = 8.22
    assert.match(text, /pénalités de retard au taux annuel de 10 % \(soit 8,22\s€ à ce jour\)/)
    assert.include(text, 'indemnité forfaitaire pour frais de recouvrement de 40 €')
    assert.isTrue(
      text.endsWith(`Camille Martin\n\nIBAN FR76 3000 6000 0112 3456 7890 189\n\n${PAGE_LINE}`)
    )
  })

  test('a consumer, or step 1, reads no late terms', ({ assert }) => {
    const consumer = people({ user: { latePenaltyRate: 10 }, client: { isBusiness: false } })
    const business = people({ user: { latePenaltyRate: 10 } })
    const invoices = [invoice('F-79', 100_000, '2026-02-18')]

    const toConsumer = render(consumer, invoices, 3)
    const firstStep = render(business, invoices, 1)

    for (const { text } of [toConsumer, firstStep]) {
      assert.notInclude(text, 'pénalités')
      assert.notInclude(text, '40 €')
    }
  })

  test('an English client gets English, amounts formatted for it', ({ assert }) => {
    const english = people({ client: { locale: 'en' } })
    const { subject, text } = render(english, [invoice('F-80', 125_000, '2026-03-08')], 2)

    assert.equal(subject, 'Second reminder: invoice F-80 is unpaid')
    assert.include(text, 'Amount: €1,250.00. Due date: 8 March 2026 (12 days overdue).')
    assert.include(text, 'a fixed sum of €40 for recovery costs')
  })

  test('a saved template fills its placeholders once, values written as they are', ({ assert }) => {
    const parties = people({
      user: { fullName: 'Camille {{clientName}}', paymentInstructions: 'Pay to <b>IBAN</b>' },
      client: { name: '{{userName}} & Co' },
    })
    const { subject, text } = render(parties, [invoice('F-81', 50_000, '2026-03-18')], 1, {
      subject: 'Facture {{invoiceNumber}} pour {{clientName}}',
      body: 'Bonjour {{clientName}}, {{amount}} dus depuis {{daysLate}} jours.\n{{paymentInstructions}}\n{{userName}}',
    })

    assert.equal(subject, 'Facture F-81 pour {{userName}} & Co')
    assert.equal(
      text,
      `Bonjour {{userName}} & Co, 500,00\u00a0€ dus depuis 2 jours.\nPay to <b>IBAN</b>\nCamille {{clientName}}\n\n${PAGE_LINE}`
    )
  })

  test('a template that does not place the terms or the instructions gets them at the end', ({
    assert,
  }) => {
    const parties = people({ user: { paymentInstructions: 'Virement : FR76 1234' } })
    const { text } = render(parties, [invoice('F-82', 50_000, '2026-03-01')], 2, {
      subject: 'Rappel',
      body: 'Merci de régler {{invoiceNumber}}.',
    })

    assert.match(
      text,
      /^Merci de régler F-82\.\n\nConformément .*40 €\.\n\nVirement : FR76 1234\n\nDéjà payé/
    )
  })

  test('several invoices: one email listing each, worded as several', ({ assert }) => {
    const invoices = [invoice('F-1', 100_000, '2026-03-10'), invoice('F-2', 20_000, '2026-03-12')]
    const { subject, text } = render(people(), invoices, 2)

    assert.equal(subject, 'Deuxième rappel : factures F-1, F-2 impayées')
    assert.include(text, 'au sujet des factures F-1, F-2, toujours impayées')
    assert.include(
      text,
      '- Facture F-1 : Montant : 1\u202f000,00\u00a0€. Échéance : 10 mars 2026 (10 jours de retard).'
    )
    assert.include(
      text,
      '- Facture F-2 : Montant : 200,00\u00a0€. Échéance : 12 mars 2026 (8 jours de retard).'
    )
    assert.lengthOf(text.match(/indemnité forfaitaire/g)!, 2)
  })

  test('every relance ends with the link to the client page, in the client language', ({
    assert,
  }) => {
    const french = render(people(), [invoice('F-83', 10_000, '2026-03-01')], 3)
    const english = render(
      people({ client: { locale: 'en' } }),
      [invoice('F-84', 10_000, '2026-03-01')],
      1,
      {
        subject: 'Invoice {{invoiceNumber}}',
        body: 'Please pay {{invoiceNumber}}.',
      }
    )

    assert.isTrue(french.text.endsWith(`\n\n${PAGE_LINE}`))
    assert.isTrue(
      english.text.endsWith(`\n\nAlready paid, a date to suggest, a question? ${PAGE_URL}`)
    )
  })

  test('with an IBAN and no instructions, the transfer details close the email, the number as reference', ({
    assert,
  }) => {
    const iban = { iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP', accountHolder: null }
    const one = render(people({ user: iban }), [invoice('F-85', 10_000, '2026-03-01')], 1)
    const several = render(
      people({
        user: { ...iban, bic: null, accountHolder: 'Studio Martin SARL' },
        client: { locale: 'en' },
      }),
      [invoice('F-86', 10_000, '2026-03-01'), invoice('F-87', 20_000, '2026-03-02')],
      1
    )
    const ownWords = render(
      people({ user: { ...iban, paymentInstructions: 'Chèque à l’ordre de Camille' } }),
      [invoice('F-88', 10_000, '2026-03-01')],
      1
    )

    assert.include(
      one.text,
      [
        'Règlement par virement :',
        'Titulaire : Camille Martin',
        'IBAN : FR76 3000 6000 0112 3456 7890 189',
        'BIC : AGRIFRPP',
        'Référence à indiquer : F-85',
      ].join('\n')
    )
    assert.include(
      several.text,
      [
        'Payment by bank transfer:',
        'Account holder: Studio Martin SARL',
        'IBAN: FR76 3000 6000 0112 3456 7890 189',
        'Reference: the number of each invoice (F-86, F-87)',
      ].join('\n')
    )
    assert.include(ownWords.text, 'Chèque à l’ordre de Camille')
    assert.notInclude(ownWords.text, 'IBAN')
  })
})

test.group('Template placeholders', () => {
  test('fill in one pass: a value naming a placeholder stays as written', ({ assert }) => {
    assert.equal(
      fillPlaceholders('{{a}} and {{b}} and {{c}}', { a: '{{b}}', b: 'B' }),
      '{{b}} and B and {{c}}'
    )
  })

  test('unknown names are found, spaces inside the braces ignored', ({ assert }) => {
    assert.deepEqual(
      unknownPlaceholders(
        '{{ clientName }} {{iban}} {{amount}} {{iban}} {{}}',
        RelanceTemplate.PLACEHOLDERS
      ),
      ['iban', '']
    )
  })

  test('a template is refused naming the field and the placeholder: {note}')
    .with([
      {
        data: { subject: 'Rappel {{iban}}', body: 'ok' },
        field: 'subject',
        note: 'unknown in subject',
      },
      {
        data: { subject: 'ok', body: 'Payez {{montant}}' },
        field: 'body',
        note: 'unknown in body',
      },
      { data: { subject: '  ', body: 'ok' }, field: 'subject', note: 'empty subject' },
      { data: { subject: 'ok', body: '' }, field: 'body', note: 'empty body' },
      {
        data: { subject: 'ok', body: 'x'.repeat(5_001) },
        field: 'body',
        note: 'over 5,000 characters',
      },
      { data: { subject: 'a\nb', body: 'ok' }, field: 'subject', note: 'a subject of two lines' },
    ])
    .run(async ({ assert }, { data, field }) => {
      try {
        await saveRelanceTemplateValidator.validate({ locale: 'fr', ...data })
        assert.fail('the template was accepted')
      } catch (error) {
        assert.instanceOf(error, errors.E_VALIDATION_ERROR)
        const [message] = (error as any).messages
        assert.equal(message.field, field)
        if (data[field as 'subject' | 'body'].includes('{{'))
          assert.match(message.message, /"(iban|montant)"/)
      }
    })

  test('every known placeholder and 5,000 characters are accepted', async ({ assert }) => {
    const body = RelanceTemplate.PLACEHOLDERS.map((name) => `{{${name}}}`).join(' ')
    const saved = await saveRelanceTemplateValidator.validate({
      locale: 'en',
      subject: 'Invoice {{invoiceNumber}}',
      body: body + 'x'.repeat(5_000 - body.length),
    })
    assert.lengthOf(saved.body, 5_000)
  })
})
