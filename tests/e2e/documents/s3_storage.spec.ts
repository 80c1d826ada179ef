import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { callApi, postInvoiceOn, registerOn, startWeb } from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { countRows } from '#tests/helpers/rows'
import { startS3Server } from '#tests/helpers/s3_server'
import { sample, simplePdf, storedDocuments, type Upload } from '#tests/helpers/documents'

const KEY = /^documents\/\d+\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pdf$/

/** A multipart body of PDFs in `field`. */
function pdfForm(field: string, files: Upload[]) {
  const form = new FormData()
  for (const file of files) {
    form.append(field, new Blob([file.bytes], { type: 'application/pdf' }), file.filename)
  }
  return form
}

test.group('Documents on S3 (s3rver, a web process with DRIVE_DISK=s3)', (group) => {
  const scene = processSceneForEach(group)
  group.each.timeout(60_000)

  /** A bucket, a web process storing documents in it, and a user signed in there. */
  async function signedInOnS3() {
    const s3 = scene.stopAfterProcesses(await startS3Server())
    const app = await startWeb(s3.env)
    scene.track(app.web)
    const token = await registerOn(app, 'camille@example.test')
    return { s3, app, token, auth: { authorization: `Bearer ${token}` } }
  }

  test('uploads, downloads, imports and deletions go to the bucket under the app keys, nothing to the disk', async ({
    assert,
  }) => {
    const onDisk = await storedDocuments()
    const { s3, app, token, auth } = await signedInOnS3()
    const download = async (invoiceId: number) => {
      const response = await fetch(`${app.baseUrl}/api/v1/invoices/${invoiceId}/document`, {
        headers: auth,
      })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('content-type'), 'application/pdf')
      return Buffer.from(await response.arrayBuffer())
    }

    const created = await postInvoiceOn(app, token, { number: 'S3-1', amountCents: 10_000 })
    const invoiceId = created.body.data.id as number
    const pdf = await simplePdf('Facture S3-1', '../../etc/passwd.pdf')
    const uploaded = await fetch(`${app.baseUrl}/api/v1/invoices/${invoiceId}/document`, {
      method: 'PUT',
      headers: auth,
      body: pdfForm('file', [pdf]),
    })
    assert.equal(uploaded.status, 200)
    assert.equal(((await uploaded.json()) as any).data.document.filename, 'passwd.pdf')
    const [key] = await s3.keys()
    assert.match(key, KEY)
    const downloaded = await download(invoiceId)
    assert.isTrue(downloaded.equals(pdf.bytes))

    // A Factur-X import: its PDF goes to the bucket with the draft, and stays as the document
    const facturX = await sample('facturX')
    const imported = await fetch(`${app.baseUrl}/api/v1/import-batches`, {
      method: 'POST',
      headers: auth,
      body: pdfForm('files', [facturX]),
    })
    assert.equal(imported.status, 201)
    const draft = ((await imported.json()) as any).data
    assert.lengthOf(await s3.keys(), 2)
    // The sample's due date (2026-03-02) leaves the accepted 10 years one day: the row gets one of now
    const dueDate = DateTime.utc().plus({ days: 30 }).toISODate()
    const completed = await callApi(app, 'PATCH', `/import-batches/${draft.id}/rows/1`, {
      token,
      body: { data: { dueDate } },
    })
    assert.equal(completed.status, 200)
    const validated = await callApi(app, 'POST', `/import-batches/${draft.id}/validate`, { token })
    assert.equal(validated.status, 200)
    const list = await callApi(app, 'GET', '/invoices', { token })
    const importedInvoice = list.body.data.find(
      (invoice: { number: string }) => invoice.number === 'F20260023'
    )
    const importedPdf = await download(importedInvoice.id)
    assert.isTrue(importedPdf.equals(facturX.bytes))

    // Removing the document deletes its object; a discarded draft deletes its PDFs
    const removed = await callApi(app, 'DELETE', `/invoices/${invoiceId}/document`, { token })
    assert.equal(removed.status, 204)
    const remaining = await s3.keys()
    assert.lengthOf(remaining, 1)
    assert.notInclude(remaining, key)
    const discarded = await fetch(`${app.baseUrl}/api/v1/import-batches`, {
      method: 'POST',
      headers: auth,
      body: pdfForm('files', [await sample('plain')]),
    })
    const discardedId = ((await discarded.json()) as any).data.id
    assert.lengthOf(await s3.keys(), 2)
    await callApi(app, 'DELETE', `/import-batches/${discardedId}`, { token })
    assert.deepEqual(await s3.keys(), remaining)

    assert.deepEqual(await storedDocuments(), onDisk)
  })

  test('with the bucket unreachable, documents answer 503 naming the store, and nothing changes', async ({
    assert,
  }) => {
    const { s3, app, token, auth } = await signedInOnS3()
    const created = await postInvoiceOn(app, token, { number: 'S3-DOWN', amountCents: 10_000 })
    const invoiceId = created.body.data.id as number
    const documentUrl = `${app.baseUrl}/api/v1/invoices/${invoiceId}/document`
    const first = await simplePdf('Facture S3-DOWN', 'first.pdf')
    const stored = await fetch(documentUrl, {
      method: 'PUT',
      headers: auth,
      body: pdfForm('file', [first]),
    })
    assert.equal(stored.status, 200)

    await s3.stop()

    const refused = [
      await fetch(documentUrl, { headers: auth }),
      await fetch(documentUrl, {
        method: 'PUT',
        headers: auth,
        body: pdfForm('file', [await simplePdf('Facture S3-DOWN', 'second.pdf')]),
      }),
      await fetch(`${app.baseUrl}/api/v1/import-batches`, {
        method: 'POST',
        headers: auth,
        body: pdfForm('files', [await sample('facturX')]),
      }),
    ]
    for (const response of refused) {
      assert.equal(response.status, 503)
      const body = (await response.json()) as { errors: { message: string }[] }
      assert.match(body.errors[0].message, /^The document store did not answer/)
    }
    const shown = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.equal(shown.body.data.document.filename, 'first.pdf')
    assert.equal(await countRows('import_batches'), 0)
  })
})
