import { test } from '@japa/runner'
import { UserFactory } from '#database/factories/user_factory'
import { READ_DEADLINE_MS } from '#services/imports/facturx_reader'
import { resetState, rowsAndJobs } from '#tests/helpers/state'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import {
  BILLION_LAUGHS_XML,
  EXTERNAL_ENTITY_XML,
  deflateBombPdf,
  importPdfs,
  manyNamesPdf,
  oversizedPdf,
  pdfWithXml,
  sample,
  whileTheSamplesAreCurrent,
  storedDocuments,
  truncatedPdf,
  zipNamedPdf,
  type Upload,
} from '#tests/helpers/documents'

/** The peak resident memory of this process (server and PDF worker) while `work` runs. */
async function peakMemoryDuring<T>(work: () => Promise<T>) {
  const start = process.memoryUsage().rss
  let peak = start
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  try {
    const result = await work()
    return { result, startMb: start / 2 ** 20, peakMb: peak / 2 ** 20 }
  } finally {
    clearInterval(sampler)
  }
}

test.group('Hostile PDFs', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))
  group.each.setup(() => whileTheSamplesAreCurrent())

  test('each is refused with a 4xx naming it, within the deadline, and nothing is stored', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const hostile: [string, Upload, number, string][] = [
      [
        'billion laughs',
        await pdfWithXml(BILLION_LAUGHS_XML, 'lol.pdf'),
        422,
        'declares a DTD or entities',
      ],
      [
        'external entity',
        await pdfWithXml(EXTERNAL_ENTITY_XML, 'xxe.pdf', 'zugferd-invoice.xml'),
        422,
        'declares a DTD or entities',
      ],
      ['deflate bomb', deflateBombPdf(), 422, 'expands to more than 16 MB'],
      [
        'a million names',
        manyNamesPdf(1_000_000, 'noms.pdf'),
        422,
        'needs more memory than a PDF invoice ever does',
      ],
      ['a ZIP named .pdf', zipNamedPdf(), 422, 'is not a PDF: it does not start with %PDF-'],
      ['a PDF cut short', await truncatedPdf(), 422, 'is not a complete PDF'],
      ['over 5 MB', await oversizedPdf(), 413, 'is over the 5 MB limit'],
    ]
    const state = await rowsAndJobs()
    const stored = await storedDocuments()

    for (const [label, file, status, reason] of hostile) {
      // Beside a good sample: the whole import is refused, the good one not kept either
      const started = performance.now()
      const {
        result: response,
        startMb,
        peakMb,
      } = await peakMemoryDuring(async () =>
        importPdfs(client, user, [await sample('facturX'), file])
      )
      const elapsed = performance.now() - started
      const [error] = assertErrorBody(assert, response, status)
      assert.include(error.message, file.filename, label)
      assert.include(error.message, reason, label)
      assert.isBelow(elapsed, READ_DEADLINE_MS * 2, label)
      console.log(
        `      ${label}: ${response.status()} in ${Math.round(elapsed)} ms, resident memory ${Math.round(startMb)} → peak ${Math.round(peakMb)} MB`
      )
    }
    assert.deepEqual(await rowsAndJobs(), state)
    assert.deepEqual(await storedDocuments(), stored)
  })

  test('a PDF that exhausts the reading worker, or leaves it full, spoils no later import', async ({
    client,
    assert,
  }) => {
    const [user, other] = await UserFactory.createMany(2)
    const facturX = await sample('facturX')

    const exhausted = await importPdfs(client, user, [facturX, manyNamesPdf(1_000_000, 'a.pdf')])
    const [error] = assertErrorBody(assert, exhausted, 422)
    assert.include(error.message, '"a.pdf" is refused: reading it needs more memory')
    // Its names stay in the heap of the worker that read it (some 70 MB of its 96)
    const filled = await importPdfs(client, user, [manyNamesPdf(450_000, 'b.pdf'), facturX])
    filled.assertStatus(201)
    const fields = (response: typeof filled) =>
      response
        .body()
        .data.rows.map((row: { errors: { field: string }[] }) => row.errors.map((e) => e.field))
    assert.deepEqual(fields(filled), [['file'], []])

    // Another user's PDFs, the first one needing some 55 MB: more than that worker has left
    const next = await importPdfs(client, other, [
      manyNamesPdf(300_000, 'c.pdf'),
      facturX,
      await sample('prepaid'),
    ])
    next.assertStatus(201)
    assert.deepEqual(
      next.body().data.rows.map((row: { data: { number: string | null } }) => row.data.number),
      [null, 'F20260023', 'F20180027']
    )
    assert.deepEqual(fields(next), [['file'], [], []])
  })

  test('more than 50 PDFs are refused at the 51st part, before any is read', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const tiny = { filename: 'x.pdf', bytes: Buffer.from('%PDF-1.7\n%%EOF\n') }
    const state = await rowsAndJobs()

    const response = await importPdfs(
      client,
      user,
      Array.from({ length: 51 }, () => tiny)
    )

    const [error] = assertErrorBody(assert, response, 413)
    assert.equal(error.message, 'The request carries more than 50 files; the limit is 50')
    assert.deepEqual(await rowsAndJobs(), state)
  })
})
