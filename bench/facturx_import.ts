/*
| 11. A Factur-X import of 50 PDFs: POST /api/v1/import-batches with the
| files, until the draft answers 201 (every PDF checked, read in the web's
| sandboxed reading worker thread, its rows validated, the PDFs stored),
| against the same PDFs read by pdf-lib + fast-xml-parser alone
| (bare_facturx.ts).
*/
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { BENCH_HEADERS } from './support/environment.js'
import { registerUser } from './support/api.js'
import { BenchChild, cpuSeconds, startWeb } from './support/processes.js'
import { percentile, sortedNumbers } from './support/stats.js'
import { describeProfile, profileFolder } from './support/cpu_profile.js'
import { round, verdict, type Benchmark } from './support/report.js'

const FIXTURES = [
  'facturx-fr-en16931.pdf',
  'facturx-fr-en16931-prepaid.pdf',
  'zugferd-2p0-en16931.pdf',
]
const PDFS = 50
const ROUNDS = 5
const median = (values: number[]) => percentile(sortedNumbers(values), 50)

const facturxImport: Benchmark = {
  name: 'facturx_import',
  title: `Factur-X import: ${PDFS} PDFs to a draft`,
  async run({ resources, defer, log }) {
    const paths = Array.from({ length: PDFS }, (_, index) =>
      fileURLToPath(
        new URL(`../tests/fixtures/facturx/${FIXTURES[index % FIXTURES.length]}`, import.meta.url)
      )
    )
    const files = await Promise.all(paths.map((path) => readFile(path)))
    const megabytes = files.reduce((sum, file) => sum + file.length, 0) / 1024 / 1024

    const web = await startWeb(resources)
    defer(() => web.stop())
    const { authorization } = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Import',
      'import@bench.test'
    )

    let webUrl = web.baseUrl
    let webPid = web.process.pid
    const appImport = async () => {
      const form = new FormData()
      files.forEach((bytes, index) =>
        form.append(
          'files',
          new Blob([bytes], { type: 'application/pdf' }),
          `facture-${index + 1}.pdf`
        )
      )
      const cpuBefore = await cpuSeconds(webPid)
      const started = performance.now()
      const response = await fetch(`${webUrl}/api/v1/import-batches`, {
        method: 'POST',
        headers: { authorization, ...BENCH_HEADERS },
        body: form,
      })
      const body = (await response.json()) as { data: { id: number; rows: unknown[] } }
      const ms = performance.now() - started
      const cpuMs = ((await cpuSeconds(webPid))! - cpuBefore!) * 1000
      if (response.status !== 201)
        throw new Error(`import answered ${response.status}: ${JSON.stringify(body)}`)
      const discarded = await fetch(`${webUrl}/api/v1/import-batches/${body.data.id}`, {
        method: 'DELETE',
        headers: { authorization, ...BENCH_HEADERS },
      })
      if (discarded.status >= 300)
        throw new Error(`discarding the draft answered ${discarded.status}`)
      return { ms, cpuMs, rows: body.data.rows.length }
    }
    const bareRead = async () => {
      const bare = new BenchChild('bare_facturx.ts', paths, {}, { typescript: 'strip' })
      try {
        return await bare.result<{ ms: number; invoices: unknown[] }>()
      } finally {
        await bare.stop()
      }
    }

    log(`warmup, then ${ROUNDS} alternating rounds of ${PDFS} PDFs (${megabytes.toFixed(1)} MB)`)
    // The web's first import starts its reading worker; the rounds reuse it
    const first = await appImport()
    await bareRead()
    const app: Awaited<ReturnType<typeof appImport>>[] = []
    const bare: number[] = []
    for (let index = 0; index < ROUNDS; index++) {
      const { ms } = await bareRead()
      bare.push(ms)
      app.push(await appImport())
    }
    await web.stop()

    log('one more import on a web process under --cpu-prof')
    const profileDir = await profileFolder()
    const profiled = await startWeb(resources, {}, { nodeFlags: profileDir.nodeFlags })
    defer(() => profiled.stop())
    webUrl = profiled.baseUrl
    webPid = profiled.process.pid
    await appImport()
    await profiled.stop()
    const profile = await profileDir.summary()

    const appMs = median(app.map((result) => result.ms))
    const bareMs = median(bare)
    const appCpuMs = median(app.map((result) => result.cpuMs))
    return {
      measures: [
        {
          measure: `${PDFS} PDFs read to a draft`,
          unit: 'ms',
          value: round(appMs, 0),
          baseline: round(bareMs, 0),
          goal: '≤ 2× baseline (≥ 50%)',
          verdict: verdict(appMs <= 2 * bareMs),
        },
        {
          measure: 'web CPU per import',
          unit: 'ms',
          value: round(appCpuMs, 0),
          baseline: round(bareMs, 0),
          verdict: 'info',
          note: 'baseline: its wall time, one thread busy',
        },
      ],
      method: [
        `${PDFS} PDFs (${megabytes.toFixed(1)} MB): the three Factur-X / ZUGFeRD samples of tests/fixtures/facturx in turn. App: one multipart POST /api/v1/import-batches with them as \`files\`, timed from the request to its 201 (upload, a PDF check of each, the embedded XML read in the web's reading worker thread, kept across imports, with its heap limit and deadline per PDF, the rows validated, the clients' emails completed, the PDFs written to the storage disk, the draft and its rows stored); the draft is then discarded. Web CPU: user + system time of the web process over the request.`,
        `Baseline: bench/support/bare_facturx.ts run by Node alone (types stripped): the same files already in memory, loaded by pdf-lib one after the other, the embedded XML found by name, inflated and parsed by fast-xml-parser, number, amount and due date picked; timed inside the process.`,
        `One warmup each, then ${ROUNDS} alternating rounds (baseline first); the medians are compared. Not timed: validating the draft, which here would refuse it (the samples repeat their invoice numbers); validate_draft measures a validate of 10,000 rows.`,
      ],
      findings: [
        `Rows in each draft: ${app[0]?.rows}. App rounds ${app.map((result) => Math.round(result.ms)).join(', ')} ms, baseline ${bare.map((ms) => Math.round(ms)).join(', ')} ms.`,
        profile
          ? describeProfile(
              "the web's main thread over one more import (separate process, `--cpu-prof`, boot included; the PDFs are read in a worker thread, not in this profile)",
              profile
            )
          : 'No CPU profile was written by the profiled web.',
        `The web's first import (the warmup) took ${Math.round(first.ms)} ms and ${Math.round(first.cpuMs)} ms of web CPU: it starts the reading worker thread, which loads pdf-lib and fast-xml-parser; the rounds reuse that worker, warm. Around the same parsing the app also receives the multipart upload, hands each PDF to the worker (pdf-lib patched to refuse a decompression bomb, a deadline and heap check per file), writes the PDFs to storage at once and the draft rows in one transaction; the baseline reads in a fresh process, its pdf-lib not yet optimised by the JIT.`,
      ],
      details: { first, app, bare, profile },
    }
  },
}

export default facturxImport
