import { test } from '@japa/runner'
import { attachmentDisposition, cleanUploadName, pdfNameOf } from '#services/documents/pdf_files'
import { ciiAmountCents, ciiDate } from '#services/imports/facturx_rows'

test.group('Document names', () => {
  test('an invoice number makes a file name safe on every system', ({ assert }) => {
    const cases: [string, string][] = [
      ['F-2026-001', 'F-2026-001.pdf'],
      ['2026/001', '2026-001.pdf'],
      ['A\\B:C*D?E"F<G>H|I', 'A-B-C-D-E-F-G-H-I.pdf'],
      ['../../etc/passwd', 'etc-passwd.pdf'],
      ['.hidden', 'hidden.pdf'],
      ['N°\u202e12\u200b', 'N°12.pdf'],
      ['...', 'invoice.pdf'],
    ]
    for (const [number, name] of cases) assert.equal(pdfNameOf(number), name, number)
  })

  test('an uploaded name keeps its last segment, without invisible characters', ({ assert }) => {
    assert.equal(cleanUploadName('C:\\fakepath\\Facture été.pdf'), 'Facture été.pdf')
    assert.equal(cleanUploadName('../../etc/passwd'), 'passwd')
    assert.equal(cleanUploadName('a\u0000b\u202ec.pdf'), 'abc.pdf')
    assert.isNull(cleanUploadName('  \u200b '))
    assert.isNull(cleanUploadName(null))
    assert.lengthOf([...cleanUploadName('é'.repeat(400))!], 255)
  })

  test('a download names the file in ASCII and, exactly, in RFC 5987', ({ assert }) => {
    assert.equal(attachmentDisposition('F-1.pdf'), 'attachment; filename=F-1.pdf')
    assert.equal(
      attachmentDisposition('Facture été "n°2".pdf'),
      `attachment; filename="Facture ete _n_2_.pdf"; filename*=UTF-8''Facture%20%C3%A9t%C3%A9%20%22n%C2%B02%22.pdf`
    )
    // No line break can reach the header, no path in the name
    assert.equal(attachmentDisposition('a/b\r\n.pdf'), 'attachment; filename=a-b.pdf')
  })

  test('CII amounts and dates read as written', ({ assert }) => {
    assert.equal(ciiAmountCents('104.90'), 10_490)
    assert.equal(ciiAmountCents('100'), 10_000)
    assert.equal(ciiAmountCents('12.345'), 1235)
    assert.equal(ciiAmountCents('-5.5'), -550)
    assert.isUndefined(ciiAmountCents('1,234.56'))
    assert.isUndefined(ciiAmountCents('1e3'))
    assert.equal(ciiDate('20260302', '102'), '2026-03-02')
    assert.equal(ciiDate('20260302', null), '2026-03-02')
    assert.isUndefined(ciiDate('20260230', '102'))
    assert.isUndefined(ciiDate('202603', '610'))
    assert.isUndefined(ciiDate('2026-03-02', '102'))
  })
})
