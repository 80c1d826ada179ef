import { test } from '@japa/runner'
import iconv from 'iconv-lite'
import {
  decodeText,
  fieldForHeader,
  nameOnOneLine,
  parseAmountCents,
  parseCalendarDate,
  parseImportFile,
  quoted,
} from '#services/imports/import_parser'

test.group('Import parser / amounts', () => {
  test('amounts are read as people write them, in cents', ({ assert }) => {
    const cases: [string, number][] = [
      ['1 234,56 €', 123_456],
      ['1\u00a0234,56\u00a0€', 123_456],
      ['1\u202f234,56', 123_456],
      ['1234.56', 123_456],
      ['1,234.56', 123_456],
      ['1.234,56', 123_456],
      ["1'234.56", 123_456],
      ['12 500', 1_250_000],
      ['1,234', 123_400],
      ['12,505', 1_250_500],
      ['1.234.567', 123_456_700],
      ['99,9', 9_990],
      ['0,05', 5],
      ['12', 1_200],
      ['EUR 12,50', 1_250],
      ['12,50 EUR', 1_250],
      ['$1,000.00', 100_000],
      ['-12,50', -1_250],
      ['(12,50)', -1_250],
      ['\u221212,50', -1_250],
    ]
    for (const [raw, cents] of cases) {
      assert.equal(parseAmountCents(raw), cents, raw)
    }
  })

  test('what is not an amount is undefined, never a guess', ({ assert }) => {
    for (const raw of [
      '',
      'douze',
      '12,345,67',
      '1,2,3',
      '12.345,678',
      '1,23,456',
      '0.500',
      '12..5',
      ',5',
      '1 2 3 4 x',
    ]) {
      assert.isUndefined(parseAmountCents(raw), raw)
    }
  })
})

test.group('Import parser / dates', () => {
  test('DD/MM/YYYY and YYYY-MM-DD become YYYY-MM-DD; other shapes are undefined', ({ assert }) => {
    const cases: [string, string | undefined][] = [
      ['05/01/2027', '2027-01-05'],
      ['5/1/2027', '2027-01-05'],
      ['05.01.2027', '2027-01-05'],
      ['05/01/2027 00:00', '2027-01-05'],
      ['2027-01-05', '2027-01-05'],
      ['31/02/2027', '2027-02-31'],
      ['01/05/27', undefined],
      ['2027/01/05', undefined],
      ['next week', undefined],
    ]
    for (const [raw, iso] of cases) {
      assert.equal(parseCalendarDate(raw), iso, raw)
    }
  })
})

test.group('Import parser / headers and encodings', () => {
  test('headers match in French or English, ignoring case, accents, spaces and underscores', ({
    assert,
  }) => {
    const cases: [string, string | undefined][] = [
      ['Numéro', 'number'],
      ['NUMERO', 'number'],
      ['Facture', 'number'],
      ['Client Name', 'clientName'],
      ['client_name', 'clientName'],
      ['E-mail', 'clientEmail'],
      ['Client Email', 'clientEmail'],
      ['Montant', 'amountCents'],
      ['Devise', 'currency'],
      ['Issued At', 'issuedAt'],
      ['Date', 'issuedAt'],
      ['Échéance', 'dueDate'],
      ['ECHEANCE', 'dueDate'],
      [' due date ', 'dueDate'],
      ['Commentaire', undefined],
    ]
    for (const [header, field] of cases) {
      assert.equal(fieldForHeader(header), field, header)
    }
  })

  test('UTF-8 loses its BOM, Windows-1252 is decoded, binary is refused', ({ assert }) => {
    const text = 'Numéro;Échéance;Montant\r\nF-1;05/01/2027;1 234,56 €\r\n'
    const bom = Buffer.from([0xef, 0xbb, 0xbf])

    assert.equal(decodeText(Buffer.concat([bom, Buffer.from(text)])), text)
    assert.equal(decodeText(Buffer.from(text)), text)
    assert.equal(decodeText(iconv.encode(text, 'windows-1252')), text)
    assert.throws(() => decodeText(Buffer.from([0x4e, 0x00, 0x75, 0x00])), /binary data/)
    assert.throws(() => decodeText(Buffer.from([0x41, 0x01, 0x02, 0x42])), /binary data/)
    assert.throws(() => decodeText(Buffer.from([0xff, 0xfe, 0x4e, 0x00])), /UTF-16/)
  })
})

test.group('Import parser / files', () => {
  test('a first line sep=; names the separator and still counts as a line', async ({ assert }) => {
    const file = Buffer.from(
      'sep=;\r\nNuméro;Client;Email;Montant;Échéance\r\nF-1;Acme, Inc;a@acme.test;1,5;01/02/2027\r\n'
    )

    const [row] = await parseImportFile(file)

    assert.deepEqual(row, {
      line: 3,
      input: {
        number: 'F-1',
        clientName: 'Acme, Inc',
        clientEmail: 'a@acme.test',
        amountCents: 150,
        dueDate: '2027-02-01',
      },
      errors: [],
    })
  })

  test('a name cell keeps one line: Alt+Enter and tabs become a space, runs of spaces one', async ({
    assert,
  }) => {
    assert.equal(nameOnOneLine('Atelier Dupont\nParis 11e'), 'Atelier Dupont Paris 11e')
    assert.equal(nameOnOneLine(' Atelier \n\n  Dupont\t\tSARL  '), 'Atelier Dupont SARL')
    assert.equal(nameOnOneLine('Atelier\u2028Dupont'), 'Atelier Dupont')
    // Not a line break: left for the validator to refuse
    assert.equal(nameOnOneLine('Atelier\u0007Dupont'), 'Atelier\u0007Dupont')

    // Excel's export of a cell typed "Atelier Dupont", Alt+Enter, "Paris 11e"
    const file = Buffer.from(
      'Numéro;Client;Email;Montant;Échéance\r\nF-1;"Atelier Dupont\r\nParis 11e";a@dupont.test;12;01/02/2027\r\n' +
        'F-2;"Studio\tNord";b@nord.test;12;01/02/2027\r\n'
    )
    const [first, second] = await parseImportFile(file)
    assert.equal(first.input.clientName, 'Atelier Dupont Paris 11e')
    assert.deepEqual(first.errors, [])
    assert.equal(second.input.clientName, 'Studio Nord')
    // The first record spans lines 2 and 3
    assert.equal(second.line, 4)
  })

  test('a quote left open is a 422 naming where', async ({ assert }) => {
    const file = Buffer.from(
      'number,client,email,amount,due_date\nF-1,"Acme,a@acme.test,1,2027-02-01\n'
    )

    await assert.rejects(() => parseImportFile(file), /not valid CSV.*line/)
  })

  test('a record of 64 columns is read; one of 65 is a 422 naming its line', async ({ assert }) => {
    const header = 'number;client;email;amount;due_date'
    const row = (columns: number) =>
      ['F-1', 'Acme', 'a@acme.test', '1', '01/02/2027', ...Array(columns - 5).fill('x')].join(';')

    const [read] = await parseImportFile(Buffer.from(`${header}\n${row(64)}\n`))
    const wide = parseImportFile(Buffer.from(`${header}\n${row(64)}\n${row(65)}\n`))

    assert.deepEqual(read.errors, [])
    await assert.rejects(() => wide, /^Line 3 has more than 64 columns; the limit is 64$/)
  })

  test('a record over 64 KB is a 422 naming its line and a quote left open', async ({ assert }) => {
    const file = Buffer.from(
      `number;client;email;amount;due_date\nF-1;"Acme;a@acme.test;1;01/02/2027\n${'F-2;Acme;a@acme.test;1;01/02/2027\n'.repeat(3000)}`
    )

    await assert.rejects(
      () => parseImportFile(file),
      /^The file is not valid CSV: the record on line \d+ is over 64 KB: is a quote left open\?$/
    )
  })

  test('the 10,001st row is a 413, and nothing after it is parsed', async ({ assert }) => {
    const rows = Array.from(
      { length: 10_001 },
      (_, index) => `F-${index};Acme;a@acme.test;1;01/02/2027`
    )
    // Read to its end, this last line would be a 422: 100 columns
    const file = Buffer.from(
      `number;client;email;amount;due_date\n${rows.join('\n')}\n${';'.repeat(100)}x\n`
    )

    await assert.rejects(
      () => parseImportFile(file),
      'The file has more than 10,000 rows; the limit is 10,000 rows'
    )
    const exactly = await parseImportFile(
      Buffer.from(`number;client;email;amount;due_date\n${rows.slice(1).join('\n')}\n`)
    )
    assert.lengthOf(exactly, 10_000)
  })

  test('values quoted back in messages are cut to 40 characters', async ({ assert }) => {
    const amount = `12${'3'.repeat(5000)},x`
    const [row] = await parseImportFile(
      Buffer.from(
        `number;client;email;amount;due_date\nF-1;Acme;a@acme.test;${amount};01/02/2027\n`
      )
    )

    assert.deepEqual(row.errors, [
      {
        field: 'amountCents',
        message: `The amount "12${'3'.repeat(38)}…" is not an amount such as 1 234,56 or 1234.56`,
      },
    ])
    assert.equal(quoted('ab'), '"ab"')
    assert.equal(quoted(` ${'🧾'.repeat(41)} `), `"${'🧾'.repeat(40)}…"`)
  })
})
