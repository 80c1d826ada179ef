/*
| npm run bench                 every benchmark, in order
| npm run bench -- <name> …     only these (checkin_click, invoice_list,
|                               validate_draft, worker_throughput,
|                               checkin_timing, scale, inbound, stats,
|                               client_page, webhooks, facturx_import)
|
| Each benchmark gets its own database and queue prefix, measures the app and
| its baseline in the same run, and cleans up. The table goes to the console;
| bench/results/latest.json and latest.md get the figures, the machine, the
| method and the findings. See bench/README.md.
*/
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import checkinClick from './checkin_click.js'
import invoiceList from './invoice_list.js'
import validateDraft from './validate_draft.js'
import workerThroughput from './worker_throughput.js'
import checkinTiming from './checkin_timing.js'
import scale from './scale.js'
import inbound from './inbound.js'
import stats from './stats.js'
import clientPage from './client_page.js'
import webhooks from './webhooks.js'
import facturxImport from './facturx_import.js'
import {
  APP_ROOT,
  buildApp,
  createResources,
  machineInfo,
  stolenCpuSeconds,
  releaseResources,
} from './support/environment.js'
import {
  NotAvailable,
  markdownTable,
  tableRows,
  textTable,
  type BenchOutcome,
  type Benchmark,
} from './support/report.js'

const BENCHMARKS: Benchmark[] = [
  checkinClick,
  invoiceList,
  validateDraft,
  workerThroughput,
  checkinTiming,
  scale,
  inbound,
  stats,
  clientPage,
  webhooks,
  facturxImport,
]

const RESULTS = new URL('./results/', import.meta.url)

function selection(): Benchmark[] {
  const names = process.argv.slice(2).map((name) => name.replaceAll('-', '_'))
  if (names.length === 0) return BENCHMARKS
  const unknown = names.filter((name) => !BENCHMARKS.some((bench) => bench.name === name))
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}`)
    console.error(`Known: ${BENCHMARKS.map((bench) => bench.name).join(', ')}`)
    process.exit(2)
  }
  return BENCHMARKS.filter((bench) => names.includes(bench.name))
}

async function runOne(bench: Benchmark): Promise<BenchOutcome> {
  const started = performance.now()
  const log = (message: string) => console.log(`  [${bench.name}] ${message}`)
  const cleanups: (() => unknown)[] = []
  const outcome: BenchOutcome = {
    name: bench.name,
    title: bench.title,
    status: 'ok',
    seconds: 0,
    measures: [],
    method: [],
    findings: [],
  }
  console.log(`\n▶ ${bench.name}: ${bench.title}`)
  let resources
  try {
    resources = await createResources(bench.name)
    const report = await bench.run({ resources, log, defer: (cleanup) => cleanups.push(cleanup) })
    Object.assign(outcome, report)
    for (const measure of outcome.measures) {
      measure.ratio =
        measure.value !== null && measure.baseline !== null && measure.baseline !== 0
          ? measure.value / measure.baseline
          : null
    }
  } catch (error) {
    if (error instanceof NotAvailable) {
      outcome.status = 'skipped'
      outcome.reason = error.message
      log(`not available: ${error.message}`)
    } else {
      outcome.status = 'failed'
      outcome.reason = (error as Error).message.split('\n')[0]
      outcome.findings.push((error as Error).stack ?? String(error))
      console.error(error)
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup()
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]
        log(`cleanup failed: ${message}`)
        outcome.findings.push(`Cleanup: ${message}`)
      }
    }
    if (resources) await releaseResources(resources)
  }
  outcome.seconds = Math.round(performance.now() - started) / 1000
  log(`done in ${outcome.seconds.toFixed(1)} s`)
  return outcome
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: APP_ROOT })
      .toString()
      .trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'app', 'config', 'start'], {
      cwd: APP_ROOT,
    }).toString()
    return dirty ? `${commit} + uncommitted changes` : commit
  } catch {
    return null
  }
}

function markdown(results: {
  date: string
  commit: string | null
  totalSeconds: number
  buildSeconds: number
  machine: Awaited<ReturnType<typeof machineInfo>> & {
    loadAverageAtEnd: number[]
    stolenCpuSeconds: number | null
  }
  benchmarks: BenchOutcome[]
}) {
  const { machine } = results
  const lines = [
    '# Relance benchmarks — latest run',
    '',
    `Run ${results.date} on commit ${results.commit ?? 'unknown'}, ${results.totalSeconds.toFixed(0)} s in all.`,
    'How to read this file: [bench/README.md](../README.md).',
    '',
    `The app runs as deployed: the compiled build of this commit (\`npm run build\`, ${results.buildSeconds.toFixed(0)} s, part of the run), \`NODE_ENV=production\`.`,
    '',
    '## Machine',
    '',
    `- ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, ${machine.os}`,
    `- Node.js ${machine.node}, PostgreSQL ${machine.postgresql}, Redis ${machine.redis}`,
    `- load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ${machine.loadAverageAtEnd.join(' / ')} (other processes share this machine)`,
    ...(machine.stolenCpuSeconds === null
      ? []
      : [
          `- CPU time taken by the hypervisor for other guests during the run (steal): ${machine.stolenCpuSeconds.toFixed(0)} s, ${((100 * machine.stolenCpuSeconds) / (machine.cores * results.totalSeconds)).toFixed(1)}% of the cores' time: the absolute figures of a run with much of it are low on both sides`,
        ]),
    '',
    '## Results',
    '',
    'Ratio = value / baseline, both measured in this run on this machine against the same database and seed.',
    '',
    markdownTable(tableRows(results.benchmarks)),
    '',
  ]
  for (const bench of results.benchmarks) {
    lines.push(`## ${bench.name}: ${bench.title}`, '')
    if (bench.status !== 'ok')
      lines.push(
        `**${bench.status === 'skipped' ? 'Not available' : 'Failed'}: ${bench.reason}**`,
        ''
      )
    if (bench.method.length > 0) {
      lines.push('Method:', '', ...bench.method.map((line) => `- ${line}`), '')
    }
    if (bench.findings.length > 0) {
      lines.push(
        'Findings:',
        '',
        ...bench.findings.map((line) => `- ${line.replaceAll('\n', '\n  ')}`),
        ''
      )
    }
    lines.push(`Took ${bench.seconds.toFixed(1)} s.`, '')
  }
  return lines.join('\n')
}

const benches = selection()
const started = performance.now()
const machine = await machineInfo()
/** Steal over the run, from the reading machineInfo took at its start. */
function stolenDuringRun() {
  const now = stolenCpuSeconds()
  const atStart = machine.stolenCpuSecondsAtStart
  return now === null || atStart === null ? null : Math.round((now - atStart) * 10) / 10
}
console.log(
  `Relance benchmarks on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgresql}, Redis ${machine.redis}`
)
const buildSeconds = await buildApp()
console.log(
  `Built the app (npm run build) in ${buildSeconds.toFixed(1)} s: every app process runs build/`
)
const outcomes: BenchOutcome[] = []
for (const bench of benches) outcomes.push(await runOne(bench))

const totalSeconds = Math.round(performance.now() - started) / 1000
const results = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  totalSeconds,
  selection: benches.map((bench) => bench.name),
  buildSeconds,
  machine: {
    ...machine,
    loadAverageAtEnd: os.loadavg().map((load) => Math.round(load * 100) / 100),
    stolenCpuSeconds: stolenDuringRun(),
  },
  benchmarks: outcomes,
}
await mkdir(RESULTS, { recursive: true })
await writeFile(new URL('latest.json', RESULTS), `${JSON.stringify(results, null, 2)}\n`)
await writeFile(new URL('latest.md', RESULTS), markdown(results))

console.log(`\n${textTable(tableRows(outcomes))}\n`)
console.log(
  `Total ${totalSeconds.toFixed(1)} s. Written: bench/results/latest.json, bench/results/latest.md`
)
process.exit(outcomes.some((outcome) => outcome.status === 'failed') ? 1 : 0)
