import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import type { ApiClient } from '@japa/api-client'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import ActivityEvent from '#models/activity_event'
import CheckinTask from '#models/checkin_task'
import Client from '#models/client'
import ImportBatch from '#models/import_batch'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { getQueue } from '#queue/queues'
import { queuedJobIds, resetState, rowsAndJobs } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { storeInvoice } from '#tests/helpers/invoice_requests'
import {
  multipartParts,
  multipartFileOfSize,
  postKeepingEarlyAnswer,
} from '#tests/helpers/multipart'
import {
  datedFixture,
  draftOf,
  fixture,
  movedFixtureDay,
  upload,
  validate,
} from '#tests/helpers/import_requests'
import { dayFromToday } from '#tests/helpers/calendar'

/** Validates a draft that must import; answers the batch. */
async function validated(client: ApiClient, user: User, batchId: number) {
  const response = await validate(client, user, batchId)
  response.assertStatus(200)
  return response.body().data
}

async function statusOf(batchId: number) {
  const batch = await ImportBatch.findOrFail(batchId)
  return batch.status
}

let scratch: string

/** A scratch directory for the group's files, removed after it. */
async function makeScratch() {
  const directory = await mkdtemp(join(tmpdir(), 'relance-import-'))
  scratch = directory
  return () => rm(directory, { recursive: true, force: true })
}

/**
 * The fixtures' dates, issued and due in early 2027, are moved so that
 * 2027-01-01 falls a week ago: issued days ago, due in one to three months,
 * whatever day the tests run (a check-in waits for a due date still ahead, a
 * due date must lie within 10 years back). Tests whose outcome does not hang
 * on the dates (a 404, a discard, a draft shown as stored) upload the fixture
 * as it is.
 */
const DAY_ZERO = dayFromToday(-7)
const fixtureDay = (day: string) => movedFixtureDay(day, DAY_ZERO)
const dated = (name: string) => datedFixture(name, scratch, DAY_ZERO)

/** The rows both Excel-FR fixtures hold, line numbers counted as Excel shows them. */
const EXCEL_FR_ROWS = [
  {
    line: 2,
    data: {
      number: 'FAC-2027-001',
      clientName: 'Boulangerie Dupré',
      clientEmail: 'contact@dupre.test',
      amountCents: 123_456,
      currency: 'EUR',
      issuedAt: fixtureDay('2027-01-05'),
      dueDate: fixtureDay('2027-02-04'),
    },
    errors: [],
  },
  {
    // Its comment cell holds a newline: the record spans lines 3 and 4
    line: 3,
    data: {
      number: 'FAC-2027-002',
      clientName: 'Société Générale; Agence Élysée',
      clientEmail: 'compta@sg-elysee.test',
      amountCents: 85_000,
      currency: 'EUR',
      issuedAt: fixtureDay('2027-01-06'),
      dueDate: fixtureDay('2027-02-05'),
    },
    errors: [],
  },
  {
    line: 6,
    data: {
      number: 'FAC-2027-003',
      clientName: 'Café Léon',
      clientEmail: 'leon@cafe-leon.test',
      amountCents: 1_250_000,
      currency: 'EUR',
      issuedAt: fixtureDay('2027-01-07'),
      dueDate: fixtureDay('2027-03-06'),
    },
    errors: [],
  },
  {
    line: 8,
    data: {
      number: 'FAC-2027-004',
      clientName: 'Crème & Co',
      clientEmail: 'factures@creme.test',
      amountCents: 9_990,
      currency: 'EUR',
      issuedAt: null,
      dueDate: fixtureDay('2027-03-15'),
    },
    errors: [],
  },
]

/** A row of the draft by its line. */
function rowAt(batch: { rows: { line: number }[] }, line: number): any {
  const row = batch.rows.find((candidate) => candidate.line === line)
  if (!row) throw new Error(`no row at line ${line}`)
  return row
}

function assertRowErrors(
  assert: Assert,
  row: any,
  expected: { field: string; includes: string }[]
) {
  assert.lengthOf(row.errors, expected.length, JSON.stringify(row.errors))
  for (const { field, includes } of expected) {
    assert.isTrue(
      row.errors.some((error: any) => error.field === field && error.message.includes(includes)),
      `expected an error on ${field} mentioning "${includes}", got ${JSON.stringify(row.errors)}`
    )
  }
}

test.group('Import batches / draft', (group) => {
  group.setup(makeScratch)
  group.each.setup(() => resetState())

  test('an Excel-FR export in UTF-8 with a BOM becomes a draft: cents, ISO dates, every row', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const response = await upload(client, user, await dated('excel_fr_utf8_bom.csv'))

    response.assertStatus(201)
    const draft = response.body().data
    assert.deepEqual(Object.keys(response.body()), ['data'])
    assert.isNumber(draft.id)
    assert.containSubset(draft, {
      status: 'draft',
      filename: 'excel_fr_utf8_bom.csv',
      totalRows: 4,
      validRows: 4,
      invalidRows: 0,
    })
    assert.deepEqual(draft.rows, EXCEL_FR_ROWS)
    // A draft writes its batch and nothing else
    assert.equal(await countRows('import_batches'), 1)
    assert.equal(await countRows('invoices'), 0)
    assert.equal(await countRows('clients'), 0)
    assert.deepEqual(await queuedJobIds('checkins'), [])
  })

  test('the same export saved in Windows-1252 is detected and gives the same rows', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const draft = await draftOf(client, user, await dated('excel_fr_windows1252.csv'))

    assert.equal(draft.filename, 'excel_fr_windows1252.csv')
    assert.deepEqual(draft.rows, EXCEL_FR_ROWS)
  })

  test('an English comma CSV with quoted commas and quotes is read, headers in any case, extra columns ignored', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const draft = await draftOf(client, user, await dated('english_comma.csv'))

    assert.containSubset(draft, { totalRows: 3, validRows: 3, invalidRows: 0 })
    assert.deepEqual(draft.rows, [
      {
        line: 2,
        data: {
          number: 'INV-1001',
          clientName: 'Smith, Jones & Co',
          clientEmail: 'ap@smithjones.test',
          amountCents: 123_456,
          currency: 'USD',
          issuedAt: fixtureDay('2027-01-05'),
          dueDate: fixtureDay('2027-02-04'),
        },
        errors: [],
      },
      {
        line: 3,
        data: {
          number: 'INV-1002',
          clientName: 'Acme Ltd',
          clientEmail: 'billing@acme.test',
          amountCents: 9_990,
          currency: 'GBP',
          issuedAt: null,
          dueDate: fixtureDay('2027-02-10'),
        },
        errors: [],
      },
      {
        line: 5,
        data: {
          number: 'INV-1003',
          clientName: 'Quote, Unquote Inc',
          clientEmail: 'hello@quote.test',
          amountCents: 250_000,
          currency: 'EUR',
          issuedAt: fixtureDay('2027-01-07'),
          dueDate: fixtureDay('2027-03-01'),
        },
        errors: [],
      },
    ])
  })

  test('broken rows stay in the draft with their errors while the others are valid', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()

    const draft = await draftOf(client, user, await dated('broken_rows.csv'))

    assert.containSubset(draft, { totalRows: 8, validRows: 2, invalidRows: 6 })
    assertRowErrors(assert, rowAt(draft, 2), [])
    assertRowErrors(assert, rowAt(draft, 3), [{ field: 'clientEmail', includes: 'clientEmail' }])
    assertRowErrors(assert, rowAt(draft, 4), [{ field: 'amountCents', includes: 'positive' }])
    assertRowErrors(assert, rowAt(draft, 5), [
      { field: 'dueDate', includes: '"31/02/2027" does not exist' },
    ])
    assertRowErrors(assert, rowAt(draft, 6), [{ field: 'dueDate', includes: '"next week"' }])
    // The first B-1 (line 2) stays valid; this one names it
    assertRowErrors(assert, rowAt(draft, 7), [{ field: 'number', includes: 'line 2' }])
    assertRowErrors(assert, rowAt(draft, 8), [{ field: 'amountCents', includes: '"douze euros"' }])
    assertRowErrors(assert, rowAt(draft, 9), [])
    // Each row keeps its data, the invalid ones as read
    assert.equal(rowAt(draft, 9).data.amountCents, 150)
    assert.equal(rowAt(draft, 4).data.amountCents, -5_000)
    assert.equal(rowAt(draft, 5).data.dueDate, '2027-02-31')
    assert.equal(rowAt(draft, 8).data.amountCents, 'douze euros')
    assert.isNull(rowAt(draft, 3).data.clientEmail)
  })

  test('a line break typed in a client name cell (Excel’s Alt+Enter) becomes a space: the row is valid', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const due = dayFromToday(30).toFormat('dd/MM/yyyy')
    const file = Buffer.from(
      'Numéro;Client;Email;Montant;Échéance\r\n' +
        `F-1;"Atelier Dupont\r\nParis  11e";compta@dupont.test;1 200,00;${due}\r\n` +
        // Other fields keep their rules: a line break in a number is refused
        `"F-\r\n2";Studio Nord;factures@nord.test;950,00;${due}\r\n`
    )

    const draft = await draftOf(client, user, file)

    assert.containSubset(draft, { totalRows: 2, validRows: 1, invalidRows: 1 })
    assertRowErrors(assert, rowAt(draft, 2), [])
    assert.equal(rowAt(draft, 2).data.clientName, 'Atelier Dupont Paris 11e')
    assertRowErrors(assert, rowAt(draft, 4), [{ field: 'number', includes: 'printable' }])
    const batch = await validated(client, user, draft.id)
    assert.equal(batch.status, 'validated')
    const imported = await Client.findByOrFail('email', 'compta@dupont.test')
    assert.equal(imported.name, 'Atelier Dupont Paris 11e')
  })

  test('the JSON API keeps refusing a line break in a client name, in an invoice or JSON rows', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const row = {
      number: 'J-1',
      clientName: 'Atelier Dupont\nParis 11e',
      clientEmail: 'compta@dupont.test',
      amountCents: 120_000,
      dueDate: dayFromToday(30).toISODate(),
    }

    const invoice = await client.post('/api/v1/invoices').loginAs(user).json(row)
    invoice.assertStatus(422)
    assert.equal(invoice.body().errors[0].field, 'clientName')
    const draft = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: [row] })
    draft.assertStatus(201)
    assertRowErrors(assert, rowAt(draft.body().data, 1), [
      { field: 'clientName', includes: 'control characters' },
    ])
    assert.equal(await countRows('clients'), 0)
  })

  test('a number the user already has is an error of its row; another user’s is not', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    await storeInvoice(client, user, { number: 'INV-1002' })
    await storeInvoice(client, other, { number: 'INV-1003' })

    const draft = await draftOf(client, user, await dated('english_comma.csv'))

    assert.containSubset(draft, { totalRows: 3, validRows: 2, invalidRows: 1 })
    assertRowErrors(assert, rowAt(draft, 3), [{ field: 'number', includes: 'already exists' }])
    assertRowErrors(assert, rowAt(draft, 5), [])
  })

  test('JSON rows make a draft with the same checks, each line its index from 1', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const due = dayFromToday(30)
    const valid = {
      number: 'J-1',
      clientName: 'Acme',
      clientEmail: 'Billing@Acme.test',
      amountCents: 150_000,
      currency: 'chf',
      dueDate: due.toISODate(),
    }

    const response = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({
        rows: [
          valid,
          { ...valid, number: 'J-2', amountCents: '1500', dueDate: due.toFormat('dd/MM/yyyy') },
          { ...valid, clientName: 'Acme again' },
        ],
      })

    response.assertStatus(201)
    const draft = response.body().data
    assert.containSubset(draft, {
      status: 'draft',
      filename: null,
      totalRows: 3,
      validRows: 1,
      invalidRows: 2,
    })
    assert.deepEqual(rowAt(draft, 1), {
      line: 1,
      data: {
        number: 'J-1',
        clientName: 'Acme',
        clientEmail: 'billing@acme.test',
        amountCents: 150_000,
        currency: 'CHF',
        issuedAt: null,
        dueDate: due.toISODate(),
      },
      errors: [],
    })
    // JSON takes the API's own formats: integer cents, YYYY-MM-DD
    assert.sameMembers(
      rowAt(draft, 2).errors.map((error: any) => error.field),
      ['amountCents', 'dueDate']
    )
    assertRowErrors(assert, rowAt(draft, 3), [{ field: 'number', includes: 'line 1' }])
  })

  test('each file that cannot be imported is a clear 4xx and writes nothing', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const noNul = join(scratch, 'no_nul.bin')
    await writeFile(
      noNul,
      Buffer.from(Array.from({ length: 2048 }, (_, index) => 1 + ((index * 37) % 255)))
    )
    const cases: [string, number, string][] = [
      [fixture('empty.csv'), 422, 'no rows'],
      [fixture('header_only.csv'), 422, 'no rows'],
      [fixture('binary.bin'), 422, 'binary data'],
      [noNul, 422, 'binary data'],
      [fixture('unknown_headers.csv'), 422, 'number / numéro / facture'],
    ]
    const before = await rowsAndJobs()

    for (const [path, status, message] of cases) {
      const response = await upload(client, user, path)
      const [error] = assertErrorBody(assert, response, status)
      assert.include(error.message, message, path)
    }

    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('the header names every missing required column', async ({ client, assert }) => {
    const user = await UserFactory.create()

    const response = await upload(client, user, fixture('unknown_headers.csv'))

    const [error] = assertErrorBody(assert, response, 422)
    for (const names of [
      'number / numéro / facture',
      'client / client_name',
      'email / client_email',
      'amount / montant',
      'due_date / échéance',
    ]) {
      assert.include(error.message, names)
    }
    assert.include(error.message, '"reference"')
  })

  test('a 6 MB file is a 413 naming the 5 MB limit, read no further, and writes nothing', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const path = join(scratch, 'six_megabytes.csv')
    const line = 'F-000001;Acme;billing@acme.test;1 234,56;EUR;01/01/2027;01/02/2027\r\n'
    await writeFile(
      path,
      'Numéro;Client;Email;Montant;Devise;Date;Échéance\r\n' +
        line.repeat(Math.ceil((6 * 1024 * 1024) / line.length))
    )
    const before = await rowsAndJobs()

    const response = await upload(client, user, path)

    const [error] = assertErrorBody(assert, response, 413)
    assert.equal(error.message, 'The file "six_megabytes.csv" is over the 5 MB limit for one file')
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('an upload over the request size limit is a 413 naming that limit, never a 500', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await User.accessTokens.create(user)
    const boundary = 'relance-import-boundary'
    const headers = {
      'authorization': `Bearer ${token.value!.release()}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    }
    const before = await rowsAndJobs()

    // One file past 5 MB: refused at its 5 MB + 1st byte
    const huge = await postKeepingEarlyAnswer(
      '/api/v1/import-batches',
      multipartFileOfSize(boundary, 'huge.csv', 12 * 1024 * 1024),
      headers
    )
    assert.equal(huge.status, 413)
    assert.deepEqual(huge.body, {
      errors: [{ message: 'The file "huge.csv" is over the 5 MB limit for one file' }],
    })

    // PDFs of an import: 50 MB together at most
    const part = Buffer.alloc(4.5 * 1024 * 1024, 'a')
    const many = await postKeepingEarlyAnswer(
      '/api/v1/import-batches',
      multipartParts(
        boundary,
        Array.from({ length: 12 }, (_, index) => ({
          field: 'files',
          filename: `f${index}.pdf`,
          content: part,
        }))
      ),
      headers
    )
    assert.equal(many.status, 413)
    assert.deepEqual(many.body, {
      errors: [{ message: 'The request body is over the 50 MB limit for uploads' }],
    })
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('more than 10,000 rows is a 413 naming the limit, in a file or in JSON', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const row = (index: number) => ({
      number: `R-${index}`,
      clientName: 'Acme',
      clientEmail: 'billing@acme.test',
      amountCents: 100,
      dueDate: '2027-02-01',
    })
    const path = join(scratch, 'ten_thousand_and_one.csv')
    await writeFile(
      path,
      'number,client,email,amount,due_date\n' +
        Array.from(
          { length: 10_001 },
          (_, index) => `R-${index},Acme,a@acme.test,1,2027-02-01\n`
        ).join('')
    )
    const before = await rowsAndJobs()

    const fromFile = await upload(client, user, path)
    const fromJson = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: Array.from({ length: 10_001 }, (_, index) => row(index)) })

    assert.include(assertErrorBody(assert, fromFile, 413)[0].message, '10,000 rows')
    // A list past 10,000 items is refused before anything reads it, whatever its field
    assert.equal(
      assertErrorBody(assert, fromJson, 413)[0].message,
      'The list rows holds 10,001 items; the limit is 10,000'
    )
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('a request without a file or rows, or with no rows, is a 422', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const before = await rowsAndJobs()

    const nothing = await client.post('/api/v1/import-batches').loginAs(user).json({})
    const empty = await client.post('/api/v1/import-batches').loginAs(user).json({ rows: [] })
    const notRows = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: ['F-1;Acme'] })
    const notAFile = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .field('file', 'number,client')

    assert.equal(assertErrorBody(assert, nothing, 422)[0].field, 'file')
    assert.include(assertErrorBody(assert, empty, 422)[0].message, 'no rows')
    assertErrorBody(assert, notRows, 422)
    assert.equal(assertErrorBody(assert, notAFile, 422)[0].field, 'file')
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('an import needs a token', async ({ client, assert }) => {
    const response = await client
      .post('/api/v1/import-batches')
      .file('file', fixture('english_comma.csv'))

    assertErrorBody(assert, response, 401)
    assert.equal(await countRows('import_batches'), 0)
  })
})

test.group('Import batches / show and discard', (group) => {
  group.setup(makeScratch)
  group.each.setup(() => resetState())

  test('show answers the draft as it was stored', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, fixture('broken_rows.csv'))

    const response = await client.get(`/api/v1/import-batches/${draft.id}`).loginAs(user)

    response.assertStatus(200)
    assert.deepEqual(response.body().data, draft)
  })

  test('another user’s batch is a 404 to show, validate and discard, and stays as it was', async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const intruder = await UserFactory.create()
    const draft = await draftOf(client, owner, fixture('english_comma.csv'))
    const before = await rowsAndJobs()

    const responses = [
      await client.get(`/api/v1/import-batches/${draft.id}`).loginAs(intruder),
      await validate(client, intruder, draft.id),
      await client.delete(`/api/v1/import-batches/${draft.id}`).loginAs(intruder),
    ]

    for (const response of responses) {
      assertErrorBody(assert, response, 404)
      assert.notInclude(JSON.stringify(response.body()), 'INV-1001')
    }
    assert.deepEqual(await rowsAndJobs(), before)
    assert.equal(await statusOf(draft.id), 'draft')
  })

  test('discard answers 204, again 204, and a discarded draft cannot be validated', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, fixture('english_comma.csv'))

    const discard = await client.delete(`/api/v1/import-batches/${draft.id}`).loginAs(user)
    const again = await client.delete(`/api/v1/import-batches/${draft.id}`).loginAs(user)
    const validation = await validate(client, user, draft.id)

    discard.assertStatus(204)
    again.assertStatus(204)
    assertErrorBody(assert, validation, 409)
    const shown = await client.get(`/api/v1/import-batches/${draft.id}`).loginAs(user)
    assert.equal(shown.body().data.status, 'discarded')
    assert.equal(await countRows('invoices'), 0)
  })

  test('a validated batch cannot be discarded', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('english_comma.csv'))
    await validated(client, user, draft.id)

    const response = await client.delete(`/api/v1/import-batches/${draft.id}`).loginAs(user)

    assertErrorBody(assert, response, 409)
    assert.equal(await statusOf(draft.id), 'validated')
    assert.equal(await countRows('invoices'), 3)
  })

  test('unknown batch ids are 404', async ({ client, assert }) => {
    const user = await UserFactory.create()

    assertErrorBody(assert, await client.get('/api/v1/import-batches/424242').loginAs(user), 404)
    assertErrorBody(assert, await validate(client, user, 424242), 404)
  })
})

test.group('Import batches / validate', (group) => {
  group.setup(makeScratch)
  group.each.setup(() => resetState())

  test('validate imports every valid row with its client, one check-in, its relances and exactly their jobs', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('excel_fr_utf8_bom.csv'))

    const response = await validate(client, user, draft.id)

    response.assertStatus(200)
    assert.containSubset(response.body().data, {
      id: draft.id,
      status: 'validated',
      totalRows: 4,
      validRows: 4,
      invalidRows: 0,
    })
    const invoices = await Invoice.query()
      .where('user_id', user.id)
      .preload('customer')
      .orderBy('number')
    assert.deepEqual(
      invoices.map((invoice) => [
        invoice.number,
        invoice.customer.email,
        invoice.amountCents,
        invoice.currency,
        invoice.issuedAt?.toISODate() ?? null,
        invoice.dueDate.toISODate(),
        invoice.status,
        invoice.importBatchId,
      ]),
      EXCEL_FR_ROWS.map(({ data }) => [
        data.number,
        data.clientEmail,
        data.amountCents,
        data.currency,
        data.issuedAt,
        data.dueDate,
        'pending',
        draft.id,
      ])
    )
    assert.equal(await countRows('clients'), 4)

    const tasks = await CheckinTask.query().whereIn(
      'invoice_id',
      invoices.map((invoice) => invoice.id)
    )
    const relances = await Relance.query().whereIn(
      'invoice_id',
      invoices.map((invoice) => invoice.id)
    )
    for (const invoice of invoices) {
      const own = tasks.filter((task) => task.invoiceId === invoice.id)
      assert.lengthOf(own, 1)
      assert.equal(own[0].status, 'scheduled')
      // 09:00 Paris time on the due date, as for an invoice created by hand
      const at = own[0].scheduledAt.setZone('Europe/Paris')
      assert.equal(at.toISODate(), invoice.dueDate.toISODate())
      assert.equal(at.hour, 9)
      assert.deepEqual(
        relances
          .filter((relance) => relance.invoiceId === invoice.id)
          .map((relance) => [relance.sequence, relance.status])
          .sort(),
        [
          [1, 'scheduled'],
          [2, 'scheduled'],
          [3, 'scheduled'],
        ]
      )
    }
    assert.deepEqual(
      await queuedJobIds('checkins'),
      tasks.map((task) => `checkin-${task.id}`).sort()
    )
    assert.deepEqual(
      await queuedJobIds('relances'),
      relances.map((relance) => `relance-${relance.id}`).sort()
    )
    const job = await getQueue('checkins').getJob(`checkin-${tasks[0].id}`)
    assert.closeTo(job!.timestamp + job!.opts.delay!, tasks[0].scheduledAt.toMillis(), 2_000)

    const events = await ActivityEvent.query().where('user_id', user.id)
    assert.lengthOf(events, 1)
    assert.equal(events[0].type, 'import_validated')
    assert.deepEqual(events[0].metadata, {
      importBatchId: draft.id,
      filename: 'excel_fr_utf8_bom.csv',
      totalRows: 4,
      imported: 4,
      skipped: 0,
    })
  })

  test('invalid rows are skipped and stay visible, with their errors, in the validated batch', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('broken_rows.csv'))

    await validated(client, user, draft.id)

    const invoices = await Invoice.query().where('user_id', user.id).orderBy('number')
    assert.deepEqual(
      invoices.map((invoice) => [invoice.number, invoice.amountCents]),
      [
        ['B-1', 10_000],
        ['B-7', 150],
      ]
    )
    const shownResponse = await client.get(`/api/v1/import-batches/${draft.id}`).loginAs(user)
    const shown = shownResponse.body().data
    assert.containSubset(shown, { status: 'validated', validRows: 2, invalidRows: 6 })
    assert.deepEqual(shown.rows, draft.rows)
    assert.lengthOf(await queuedJobIds('checkins'), 2)
    assert.lengthOf(await queuedJobIds('relances'), 6)
  })

  test('a second validate is a 409 and creates nothing twice', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('english_comma.csv'))
    await validated(client, user, draft.id)
    const before = await rowsAndJobs()

    const again = await validate(client, user, draft.id)

    assertErrorBody(assert, again, 409)
    assert.deepEqual(await rowsAndJobs(), before)
    assert.equal(before.invoices, 3)
  })

  test('two validates racing import the batch once: one 200, one 409', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('excel_fr_windows1252.csv'))

    const responses = await Promise.all([
      validate(client, user, draft.id),
      validate(client, user, draft.id),
    ])

    assert.sameMembers(
      responses.map((response) => response.status()),
      [200, 409]
    )
    assert.equal(await countRows('invoices'), 4)
    assert.equal(await countRows('checkin_tasks'), 4)
    assert.equal(await countRows('relances'), 12)
    assert.equal(await countRows('activity_events', { type: 'import_validated' }), 1)
    assert.lengthOf(await queuedJobIds('checkins'), 4)
    assert.lengthOf(await queuedJobIds('relances'), 12)
  })

  test('a number taken between draft and validate skips that row only, which gets the error', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const draft = await draftOf(client, user, await dated('english_comma.csv'))
    const taken = await storeInvoice(client, user, { number: 'INV-1002', amountCents: 7_700 })

    const response = await validate(client, user, draft.id)

    response.assertStatus(200)
    const batch = response.body().data
    assert.containSubset(batch, { status: 'validated', totalRows: 3, validRows: 2, invalidRows: 1 })
    assertRowErrors(assert, rowAt(batch, 3), [{ field: 'number', includes: 'already exists' }])
    const invoice = await Invoice.findByOrFail({ userId: user.id, number: 'INV-1002' })
    assert.equal(invoice.id, taken.id)
    assert.equal(invoice.amountCents, 7_700)
    assert.isNull(invoice.importBatchId)
    assert.equal(await countRows('invoices'), 3)
    const event = await ActivityEvent.findByOrFail({ type: 'import_validated' })
    assert.containSubset(event.metadata, { imported: 2, skipped: 1 })
  })

  test('a client the user already has is reused, keeps its name, and its reminder pause applies', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await storeInvoice(client, user, {
      number: 'OLD-1',
      clientName: 'Dupré SARL',
      clientEmail: 'Contact@Dupre.test',
    })
    // Months after the fixture's due dates, moved with them
    const pausedUntil = fixtureDay('2027-06-30')
    await Client.query().where('user_id', user.id).update({ reminders_paused_until: pausedUntil })
    const draft = await draftOf(client, user, await dated('excel_fr_utf8_bom.csv'))

    await validated(client, user, draft.id)

    const clients = await Client.query().where('user_id', user.id)
    assert.lengthOf(clients, 4)
    const dupre = clients.find((customer) => customer.email === 'contact@dupre.test')!
    assert.equal(dupre.name, 'Dupré SARL')
    const imported = await Invoice.findByOrFail({ userId: user.id, number: 'FAC-2027-001' })
    assert.equal(imported.clientId, dupre.id)
    const relances = await Relance.query().where('invoice_id', imported.id)
    assert.isTrue(
      relances.every(
        (relance) => relance.scheduledAt.setZone('Europe/Paris').toISODate()! > pausedUntil
      ),
      JSON.stringify(relances.map((relance) => relance.scheduledAt.toISO()))
    )
  })

  test('ten thousand rows validate in one request, and the queues hold exactly their jobs', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const directory = await mkdtemp(join(tmpdir(), 'relance-import-10k-'))
    const path = join(directory, 'ten_thousand.csv')
    const today = dayFromToday(0)
    const day = (offset: number) => today.plus({ days: offset }).toFormat('dd/MM/yyyy')
    await writeFile(
      path,
      'Numéro;Client;Email;Montant;Devise;Date;Échéance\r\n' +
        Array.from(
          { length: 10_000 },
          (_, index) =>
            `G-${String(index).padStart(5, '0')};Client ${index % 2_500};client${index % 2_500}@bulk.test;` +
            `${1 + (index % 900)} ${String(index % 1000).padStart(3, '0')},${index % 100};EUR;01/12/2026;${day(index % 365)}\r\n`
        ).join('')
    )
    try {
      const draft = await draftOf(client, user, path)
      assert.containSubset(draft, { totalRows: 10_000, validRows: 10_000, invalidRows: 0 })

      const started = performance.now()
      const response = await validate(client, user, draft.id)
      const elapsed = performance.now() - started

      response.assertStatus(200)
      console.log(`      validateDraft of 10,000 rows: ${Math.round(elapsed)} ms`)
      assert.equal(response.body().data.validRows, 10_000)
      assert.equal(await countRows('invoices', { import_batch_id: draft.id }), 10_000)
      assert.equal(await countRows('clients'), 2_500)
      assert.equal(await countRows('relances'), 30_000)
      const tasks: { id: number }[] = await db
        .from('checkin_tasks')
        .select('id')
        .where('status', 'scheduled')
      assert.lengthOf(tasks, 10_000)
      assert.deepEqual(
        await queuedJobIds('checkins'),
        tasks.map(({ id }) => `checkin-${id}`).sort()
      )
      const relanceJobs = await getQueue('relances').getJobCounts(
        'delayed',
        'waiting',
        'prioritized'
      )
      assert.equal(relanceJobs.delayed + relanceJobs.waiting + relanceJobs.prioritized, 30_000)
      const perInvoice = await db
        .from('invoices')
        .leftJoin('checkin_tasks', 'checkin_tasks.invoice_id', 'invoices.id')
        .groupBy('invoices.id')
        .havingRaw('count(checkin_tasks.id) <> 1')
        .select('invoices.id')
      assert.lengthOf(perInvoice, 0)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  }).timeout(180_000)
})
