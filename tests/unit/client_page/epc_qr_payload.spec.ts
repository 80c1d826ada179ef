import { test } from '@japa/runner'
import { epcQrPayload, fitsEpcAmount } from '#support/epc_qr_payload'

test.group('EPC069-12 payload', () => {
  test('lays out the fields in the order of the guidelines, version 002, UTF-8', ({ assert }) => {
    const payload = epcQrPayload({
      name: 'Camille Martin',
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
      amountCents: 125_050,
      remittance: 'F-2026-301',
    })

    assert.equal(
      payload,
      [
        'BCD',
        '002',
        '1',
        'SCT',
        'AGRIFRPP',
        'Camille Martin',
        'FR7630006000011234567890189',
        'EUR1250.50',
        '',
        '',
        'F-2026-301',
      ].join('\n')
    )
  })

  test('a missing BIC leaves its line empty; cents are always two digits', ({ assert }) => {
    const lines = epcQrPayload({
      name: 'Ada',
      iban: 'DE89370400440532013000',
      amountCents: 5,
      remittance: 'INV-1',
    }).split('\n')
    assert.equal(lines[4], '')
    assert.equal(lines[7], 'EUR0.05')
    assert.lengthOf(lines, 11)
  })

  test('a field is one line, cut to its length: a name of 70, a remittance of 140', ({
    assert,
  }) => {
    const lines = epcQrPayload({
      name: `Studio\nMartin ${'x'.repeat(100)}`,
      iban: 'FR7630006000011234567890189',
      amountCents: 100,
      remittance: `F-1\r\n${'é'.repeat(200)}`,
    }).split('\n')
    assert.lengthOf(lines, 11)
    assert.isTrue(lines[5].startsWith('Studio Martin'))
    assert.lengthOf([...lines[5]], 70)
    assert.lengthOf([...lines[10]], 140)
  })

  test('the amount must be from EUR 0.01 to EUR 999,999,999.99', ({ assert }) => {
    assert.isTrue(fitsEpcAmount(1))
    assert.isTrue(fitsEpcAmount(99_999_999_999))
    assert.isFalse(fitsEpcAmount(0))
    assert.isFalse(fitsEpcAmount(100_000_000_000))
    assert.throws(() =>
      epcQrPayload({
        name: 'A',
        iban: 'FR7630006000011234567890189',
        amountCents: 0,
        remittance: 'x',
      })
    )
  })
})
