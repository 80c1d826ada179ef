import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Invoice from '#models/invoice'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { resetState, rowsAndJobs } from '#tests/helpers/state'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { validate } from '#tests/helpers/import_requests'
import { countRows } from '#tests/helpers/rows'
import {
  downloadFrom,
  importPdfs,
  sample,
  whileTheSamplesAreCurrent,
  storedDocuments,
  type Upload,
} from '#tests/helpers/documents'

/** The invoice's document, downloaded from the API. */
async function downloaded(user: User, invoiceId: number) {
  const { response, bytes } = await downloadFrom(`/api/v1/invoices/${invoiceId}/document`, user)
  if (response.status !== 200) throw new Error(`document of ${invoiceId}: ${response.status}`)
  return bytes
}

test.group('Factur-X / ZUGFeRD import', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))
  group.each.setup(() => whileTheSamplesAreCurrent())

  test('the four samples give their rows; PATCH completes the ZUGFeRD one; validate keeps each PDF, byte for byte', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    // The ZUGFeRD invoice names no buyer email: the user's client of that name gives it
    await createScheduledInvoice(user, {
      clientName: 'Kunden AG Mitte',
      clientEmail: 'buchhaltung@kunden.test',
    })
    const files = [
      await sample('facturX'),
      await sample('prepaid'),
      await sample('zugferd'),
      await sample('plain'),
    ]
    const before = await storedDocuments()

    const response = await importPdfs(client, user, files)

    response.assertStatus(201)
    const draft = response.body().data
    assert.equal(draft.status, 'draft')
    assert.equal(draft.filename, files.map((file) => file.filename).join(', '))
    assert.deepEqual([draft.totalRows, draft.validRows, draft.invalidRows], [4, 2, 2])
    const document = (file: Upload) => ({ filename: file.filename, sizeBytes: file.bytes.length })
    assert.deepEqual(draft.rows, [
      {
        line: 1,
        data: {
          number: 'F20260023',
          clientName: 'LE CLIENT',
          clientEmail: 'me@buyer.com',
          amountCents: 10_490,
          currency: 'EUR',
          issuedAt: '2026-01-31',
          dueDate: '2026-03-02',
        },
        errors: [],
        document: document(files[0]),
      },
      {
        line: 2,
        // The amount still due, 100.00 €, not the grand total of 110.00 € (10.00 € prepaid)
        data: {
          number: 'F20180027',
          clientName: 'LE CLIENT',
          clientEmail: 'me@buyer.com',
          amountCents: 10_000,
          currency: 'EUR',
          issuedAt: '2018-12-31',
          dueDate: '2019-01-30',
        },
        errors: [],
        document: document(files[1]),
      },
      {
        line: 3,
        data: {
          number: '471102',
          clientName: 'Kunden AG Mitte',
          clientEmail: 'buchhaltung@kunden.test',
          amountCents: 52_987,
          currency: 'EUR',
          issuedAt: '2018-03-05',
          dueDate: null,
        },
        errors: [
          {
            field: 'dueDate',
            message: 'This Factur-X gives no due date (DueDateDateTime): give the row one',
          },
        ],
        document: document(files[2]),
      },
      {
        line: 4,
        data: {
          number: null,
          clientName: null,
          clientEmail: null,
          amountCents: null,
          currency: 'EUR',
          issuedAt: null,
          dueDate: null,
        },
        errors: [{ field: 'file', message: 'no Factur-X data in this PDF' }],
        document: document(files[3]),
      },
    ])
    assert.lengthOf(await storedDocuments(), before.length + 4)

    // "Zahlbar … bis 04.04.2018": the due date the XML gives only in words
    const patched = await client
      .patch(`/api/v1/import-batches/${draft.id}/rows/3`)
      .json({ data: { dueDate: '2018-04-04' } })
      .loginAs(user)
    patched.assertStatus(200)
    const completed = patched.body().data
    assert.deepEqual(completed.rows[2].errors, [])
    assert.equal(completed.rows[2].data.dueDate, '2018-04-04')
    assert.deepEqual(completed.rows[2].document, document(files[2]))
    assert.deepEqual([completed.validRows, completed.invalidRows], [3, 1])

    const validated = await validate(client, user, draft.id)
    validated.assertStatus(200)
    assert.equal(validated.body().data.validRows, 3)

    for (const [index, number] of ['F20260023', 'F20180027', '471102'].entries()) {
      const invoice = await Invoice.findByOrFail({ userId: user.id, number })
      assert.equal(invoice.documentFilename, files[index].filename)
      const bytes = await downloaded(user, invoice.id)
      assert.isTrue(bytes.equals(files[index].bytes), number)
    }
    const prepaid = await Invoice.findByOrFail({ userId: user.id, number: 'F20180027' })
    assert.equal(prepaid.amountCents, 10_000)
    // The plain PDF, imported as nothing, is deleted with its row
    assert.lengthOf(await storedDocuments(), before.length + 3)
    assert.equal(await countRows('import_batch_documents'), 0)
  })

  test('a buyer without email nor a client of that name is an error on clientEmail, which PATCH completes', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const response = await importPdfs(client, user, [await sample('zugferd')])
    response.assertStatus(201)
    const [row] = response.body().data.rows
    assert.deepEqual(
      row.errors.map(({ field }: { field: string }) => field),
      ['dueDate', 'clientEmail']
    )
    assert.include(row.errors[1].message, 'no client of yours is named "Kunden AG Mitte"')

    // A value that is no date stays an error of the row: the draft shows it
    const wrong = await client
      .patch(`/api/v1/import-batches/${response.body().data.id}/rows/1`)
      .json({ data: { clientEmail: 'not-an-email', dueDate: '2018-04-04' } })
      .loginAs(user)
    wrong.assertStatus(200)
    assert.deepEqual(
      wrong.body().data.rows[0].errors.map(({ field }: { field: string }) => field),
      ['clientEmail']
    )

    const fixed = await client
      .patch(`/api/v1/import-batches/${response.body().data.id}/rows/1`)
      .json({ data: { clientEmail: 'rechnung@kunden.test' } })
      .loginAs(user)
    fixed.assertStatus(200)
    assert.deepEqual(fixed.body().data.rows[0].errors, [])
    assert.equal(fixed.body().data.validRows, 1)
  })

  test('PATCH of a row: only a draft of the user, a line it has, a data object', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const intruder = await UserFactory.create()
    const imported = await importPdfs(client, user, [await sample('facturX')])
    const draft = imported.body().data
    const patch = (who: User, path: string, body: unknown) =>
      client.patch(`/api/v1/import-batches/${path}`).json(body).loginAs(who)

    const change = { data: { dueDate: '2026-03-02' } }
    assertErrorBody(assert, await patch(intruder, `${draft.id}/rows/1`, change), 404)
    assertErrorBody(assert, await patch(user, `${draft.id}/rows/2`, change), 404)
    assertErrorBody(assert, await patch(user, `${draft.id}/rows/0`, change), 404)
    for (const body of [{ data: 'x' }, {}, { data: {} }, { data: { status: 'paid' } }]) {
      const [error] = assertErrorBody(assert, await patch(user, `${draft.id}/rows/1`, body), 422)
      assert.equal(error.field, 'data', JSON.stringify(body))
    }

    // A number another row of the user already has
    await createScheduledInvoice(user, { number: 'TAKEN-1' })
    const taken = await patch(user, `${draft.id}/rows/1`, { data: { number: 'TAKEN-1' } })
    taken.assertStatus(200)
    assert.deepEqual(
      taken.body().data.rows[0].errors.map(({ field }: { field: string }) => field),
      ['number']
    )

    await patch(user, `${draft.id}/rows/1`, { data: { number: 'F20260023' } })
    const validated = await validate(client, user, draft.id)
    validated.assertStatus(200)
    assertErrorBody(assert, await patch(user, `${draft.id}/rows/1`, change), 409)
  })

  test('discarding a draft deletes its PDFs', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await storedDocuments()
    const imported = await importPdfs(client, user, [
      await sample('facturX'),
      await sample('plain'),
    ])
    const draft = imported.body().data
    assert.lengthOf(await storedDocuments(), before.length + 2)

    const discarded = await client.delete(`/api/v1/import-batches/${draft.id}`).loginAs(user)
    discarded.assertStatus(204)

    assert.deepEqual(await storedDocuments(), before)
    assert.equal(await countRows('import_batch_documents'), 0)
  })

  test('a draft whose transaction fails leaves no file behind', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const before = await storedDocuments()
    const state = await rowsAndJobs()
    // The PDFs are written first: the failure comes after them, as the rows are recorded
    await db.rawQuery(`
      CREATE FUNCTION refuse_documents() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'storage rows refused by the test'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_documents BEFORE INSERT ON import_batch_documents
        FOR EACH ROW EXECUTE FUNCTION refuse_documents();`)
    try {
      const response = await importPdfs(client, user, [
        await sample('facturX'),
        await sample('prepaid'),
      ])
      assert.equal(response.status(), 500)
    } finally {
      await db.rawQuery(
        'DROP TRIGGER refuse_documents ON import_batch_documents; DROP FUNCTION refuse_documents();'
      )
    }
    assert.deepEqual(await storedDocuments(), before)
    assert.deepEqual(await rowsAndJobs(), state)
  })
})
