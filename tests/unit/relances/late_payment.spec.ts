import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Invoice from '#models/invoice'
import { lateInterestCents, owesRecoveryIndemnity } from '#support/late_payment'
import { lateTermsOf } from '#mails/relance_content'

function invoiceOf(amountCents: number, currency: string, dueDate: string) {
  const invoice = new Invoice()
  invoice.amountCents = amountCents
  invoice.currency = currency
  invoice.dueDate = DateTime.fromISO(dueDate, { zone: 'utc' })
  return invoice
}

test.group('Late-payment interest', () => {
  test('is amount × rate / 100 × days late / 365, rounded to the cent: {note}')
    .with([
      // 1,000.00 × 10 % × 30 / 365 = 8.2191…
      { amountCents: 100_000, rate: 10, days: 30, expected: 822, note: 'rounded down' },
      // 1,000.00 × 10 % × 31 / 365 = 8.4931…
      { amountCents: 100_000, rate: 10, days: 31, expected: 849, note: 'rounded down again' },
      // 36.50 × 10 % × 5 / 365 = 0.05 exactly
      { amountCents: 3_650, rate: 10, days: 5, expected: 5, note: 'exact' },
      // 7.30 × 12.5 % × 2 / 365 = 0.005: half a cent goes up
      { amountCents: 730, rate: 12.5, days: 2, expected: 1, note: 'half a cent rounds up' },
      // 1,234.56 × 11.62 % × 45 / 365 = 17.6864…
      { amountCents: 123_456, rate: 11.62, days: 45, expected: 1_769, note: 'two decimals' },
      { amountCents: 100_000, rate: 10, days: 0, expected: 0, note: 'not late yet' },
      { amountCents: 1e13, rate: 100, days: 3650, expected: 1e14, note: 'the largest amounts' },
    ])
    .run(({ assert }, { amountCents, rate, days, expected }) => {
      assert.equal(lateInterestCents(amountCents, rate, days), expected)
    })

  test('a rate of 0 charges nothing, and no interest is stated', ({ assert }) => {
    assert.equal(lateInterestCents(500_000, 0, 90), 0)
    const terms = lateTermsOf(invoiceOf(500_000, 'EUR', '2026-01-01'), {
      rate: 0,
      daysLate: 90,
      locale: 'fr',
    })
    assert.notInclude(terms, 'pénalités')
    assert.include(terms, 'indemnité forfaitaire pour frais de recouvrement de 40 €')
  })

  test('a leap year counts February 29 as a day late and still divides by 365', ({ assert }) => {
    const invoice = invoiceOf(365_000, 'EUR', '2028-02-28')
    const daysLate = invoice.daysLate(
      'Europe/Paris',
      DateTime.fromISO('2028-03-01T10:00', { zone: 'Europe/Paris' })
    )

    assert.equal(daysLate, 2)
    // 3,650.00 × 10 % × 2 / 365 = 2.00
    assert.equal(lateInterestCents(invoice.amountCents, 10, daysLate), 200)
    assert.equal(lateInterestCents(365_000, 10, 366), 36_600)
  })

  test('days late are calendar days in the user time zone', ({ assert }) => {
    const invoice = invoiceOf(100_000, 'EUR', '2026-03-10')
    // 23:30 UTC on the 11th is already the 12th in Paris
    const now = DateTime.fromISO('2026-03-11T23:30:00Z')

    assert.equal(invoice.daysLate('Europe/Paris', now), 2)
    assert.equal(invoice.daysLate('America/New_York', now), 1)
  })

  test('only EUR invoices owe the €40 recovery indemnity', ({ assert }) => {
    assert.isTrue(owesRecoveryIndemnity('EUR'))
    for (const currency of ['USD', 'GBP', 'CHF']) {
      assert.isFalse(owesRecoveryIndemnity(currency))
      const terms = lateTermsOf(invoiceOf(100_000, currency, '2026-01-01'), {
        rate: 10,
        daysLate: 30,
        locale: 'en',
      })
      assert.notInclude(terms, '€40')
      assert.include(terms, 'late payment interest of 10% a year')
    }
    assert.equal(
      lateTermsOf(invoiceOf(100_000, 'USD', '2026-01-01'), {
        rate: null,
        daysLate: 30,
        locale: 'fr',
      }),
      ''
    )
  })

  test('the terms read as DESIGN words them, amounts in the client locale', ({ assert }) => {
    const invoice = invoiceOf(100_000, 'EUR', '2026-01-01')

    const french = lateTermsOf(invoice, { rate: 10.5, daysLate: 30, locale: 'fr' })
    const english = lateTermsOf(invoice, { rate: 10.5, daysLate: 30, locale: 'en' })

    // 1,000.00 × 10.5 % × 30 / 365 = 8.63
    assert.match(french, /pénalités de retard au taux annuel de 10,5 % \(soit 8,63\s€ à ce jour\)/)
    assert.include(french, 'indemnité forfaitaire pour frais de recouvrement de 40 €')
    assert.include(french, 'L441-10')
    assert.include(english, 'late payment interest of 10.5% a year (€8.63 to date)')
    assert.include(english, 'a fixed sum of €40 for recovery costs')
  })
})
