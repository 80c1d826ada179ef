/*
| What a benchmark returns, and how the runner prints and writes it.
*/
import type { BenchResources } from './environment.js'
import type { SideResult } from './load.js'

export type Verdict = 'met' | 'missed' | 'info' | 'skipped' | 'failed'

export type Measure = {
  measure: string
  unit: string
  value: number | null
  baseline: number | null
  /** value / baseline, filled in by the runner. */
  ratio?: number | null
  goal?: string
  verdict: Verdict
  note?: string
}

export type BenchOutcome = {
  name: string
  title: string
  status: 'ok' | 'skipped' | 'failed'
  /** Why it was skipped or failed. */
  reason?: string
  seconds: number
  measures: Measure[]
  /** How the figures were obtained, and what the baseline is. */
  method: string[]
  /** What the figures say: causes of a missed goal, fixes made, caveats. */
  findings: string[]
  details?: Record<string, unknown>
}

export type BenchContext = {
  resources: BenchResources
  /** Registers cleanup (stopping a process…), run last-in first-out even on failure. */
  defer: (cleanup: () => Promise<unknown> | unknown) => void
  log: (message: string) => void
}

export type BenchReport = Pick<BenchOutcome, 'measures' | 'method' | 'findings' | 'details'>

export type Benchmark = {
  name: string
  title: string
  run: (context: BenchContext) => Promise<BenchReport>
}

/** Thrown by a benchmark whose subject does not exist yet. */
export class NotAvailable extends Error {}

/** A goal on a ratio or a value: met when `check` holds. */
export function verdict(check: boolean | null): Verdict {
  if (check === null) return 'info'
  return check ? 'met' : 'missed'
}

export function round(value: number | null | undefined, digits = 2): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/**
 * The measures of an HTTP benchmark: throughput (goal: at least 70% of the
 * baseline's), p50 and p99 latency, server CPU per request.
 */
export function loadMeasures(app: SideResult, base: SideResult): Measure[] {
  return [
    {
      measure: 'throughput',
      unit: 'req/s',
      value: round(app.throughput, 1),
      baseline: round(base.throughput, 1),
      goal: '≥ 70% of baseline',
      verdict: verdict(app.throughput >= 0.7 * base.throughput),
    },
    { measure: 'latency p50', unit: 'ms', value: app.p50, baseline: base.p50, verdict: 'info' },
    { measure: 'latency p99', unit: 'ms', value: app.p99, baseline: base.p99, verdict: 'info' },
    {
      measure: 'server CPU per request',
      unit: 'ms',
      value: round(app.cpuMsPerRequest, 2),
      baseline: round(base.cpuMsPerRequest, 2),
      verdict: 'info',
    },
  ]
}

/**
 * The app against a baseline that does less than it (the HTTP baselines
 * without their rate limit): rows for the record, never a goal.
 */
export function contextMeasures(app: SideResult, context: SideResult, what: string): Measure[] {
  return [
    {
      measure: `throughput vs ${what} (context)`,
      unit: 'req/s',
      value: round(app.throughput, 1),
      baseline: round(context.throughput, 1),
      verdict: 'info',
    },
    {
      measure: `server CPU per request vs ${what} (context)`,
      unit: 'ms',
      value: round(app.cpuMsPerRequest, 2),
      baseline: round(context.cpuMsPerRequest, 2),
      verdict: 'info',
    },
  ]
}

function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–'
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

const formatRatio = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`

const VERDICTS: Record<Verdict, string> = {
  met: 'met',
  missed: 'MISSED',
  info: '',
  skipped: 'skipped',
  failed: 'FAILED',
}

export type TableRow = string[]

export function tableRows(outcomes: BenchOutcome[]): TableRow[] {
  const rows: TableRow[] = []
  for (const outcome of outcomes) {
    if (outcome.status !== 'ok') {
      rows.push([
        outcome.name,
        `${outcome.status === 'skipped' ? 'not available' : 'failed'}: ${outcome.reason ?? ''}`,
        '–',
        '–',
        '–',
        '–',
        VERDICTS[outcome.status === 'skipped' ? 'skipped' : 'failed'],
      ])
    }
    for (const measure of outcome.measures) {
      rows.push([
        outcome.name,
        `${measure.measure} (${measure.unit})`,
        formatNumber(measure.value),
        formatNumber(measure.baseline),
        formatRatio(measure.ratio),
        measure.goal ?? '',
        VERDICTS[measure.verdict],
      ])
    }
  }
  return rows
}

export const TABLE_HEADER = ['bench', 'measure', 'value', 'baseline', 'ratio', 'goal', 'verdict']

export function textTable(rows: TableRow[]): string {
  const all = [TABLE_HEADER, ...rows]
  const widths = TABLE_HEADER.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length))
  )
  const line = (row: TableRow) =>
    row
      .map((cell, column) =>
        column >= 2 && column <= 4 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])
      )
      .join('  ')
      .trimEnd()
  return [
    line(TABLE_HEADER),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
  ].join('\n')
}

export function markdownTable(rows: TableRow[]): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  return [
    `| ${TABLE_HEADER.join(' | ')} |`,
    `| ${TABLE_HEADER.map((_, column) => (column >= 2 && column <= 4 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n')
}
