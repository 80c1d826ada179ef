/*
| The processes a benchmark starts: the app's web and worker (the test
| helpers' AppProcess running the compiled build, i.e. exactly what `npm start`
| / `npm run start:worker` start; bench/run.ts builds it first), one-off app
| scripts, and the bare baseline processes.
*/
import { readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppProcess, NodeProcess, freePort } from '#tests/helpers/app_processes'
import { waitFor } from '#tests/helpers/wait_for'
import { BENCH_HEADERS, type BenchResources } from './environment.js'
import type { MailClock } from './mail_clock.js'

export type Web = { baseUrl: string; process: AppProcess; stop(): Promise<void> }

/** How an app process runs: the build unless said otherwise, with Node options. */
export type AppRun = { code?: 'build' | 'source'; nodeFlags?: string[] }

/** The app's HTTP server in production mode, ready once /health answers 200. */
export async function startWeb(
  resources: BenchResources,
  env: Record<string, string> = {},
  { code = 'build', nodeFlags }: AppRun = {}
): Promise<Web> {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const web = new AppProcess(
    'web',
    { ...resources.env, PORT: String(port), APP_URL: baseUrl, ...env },
    { code, nodeFlags }
  )
  try {
    await waitFor(
      'the web process to answer /health',
      async () => {
        if (web.hasExited) throw new Error(`web exited:\n${web.output}`)
        const response = await fetch(`${baseUrl}/api/v1/health`, { headers: BENCH_HEADERS })
        return response.status === 200
      },
      { timeoutMs: 60_000, intervalMs: 100 }
    )
  } catch (error) {
    await web.stop('SIGKILL').catch(() => {})
    throw error
  }
  return { baseUrl, process: web, stop: async () => void (await web.stop()) }
}

/** `node build/ace.js queue:work --concurrency=N`, ready once it logs that it consumes. */
export async function startWorker(
  resources: BenchResources,
  {
    concurrency,
    env = {},
    code = 'build',
    nodeFlags,
  }: { concurrency: number; env?: Record<string, string> } & AppRun
): Promise<AppProcess> {
  const worker = new AppProcess(
    'worker',
    { ...resources.env, ...env },
    { concurrency, code, nodeFlags }
  )
  try {
    await worker.waitForOutput('worker consuming', 60_000)
  } catch (error) {
    await worker.stop('SIGKILL').catch(() => {})
    throw error
  }
  return worker
}

/** Resident set size of a process, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kiB = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kiB ? Number(kiB) * 1024 : null
  } catch {
    return null
  }
}

/** CPU time (user + system, every thread) a process has used so far, in seconds. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return null
  }
}

/** USER_HZ: 100 on every Linux build Node supports. */
const CLOCK_TICKS = 100

/** Samples a process's RSS every `intervalMs` until stopped; keeps the peak. */
export function sampleRss(pid: number, intervalMs = 100) {
  let peak = 0
  let last = 0
  const timer = setInterval(async () => {
    const rss = await rssBytes(pid)
    if (rss !== null) {
      last = rss
      peak = Math.max(peak, rss)
    }
  }, intervalMs)
  return {
    get peak() {
      return peak
    },
    get last() {
      return last
    },
    stop: () => clearInterval(timer),
  }
}

/**
 * A TypeScript file of bench/support run as its own Node process. It prints
 * `READY <json>` once it can be used; its output is kept for error messages.
 */
export class BenchChild extends NodeProcess {
  /**
   * `typescript: 'strip'` runs a file that imports only packages with Node's
   * own type stripping: no loader in its memory or start-up, as a baseline
   * measured against the compiled app should be.
   */
  constructor(
    file: string,
    args: string[],
    env: Record<string, string>,
    { typescript = 'loader' }: { typescript?: 'loader' | 'strip' } = {}
  ) {
    const loader = typescript === 'loader' ? ['--import=@poppinss/ts-exec'] : []
    super([...loader, `bench/support/${file}`, ...args], env)
  }

  /** The JSON printed after READY. */
  async ready<T = Record<string, unknown>>(timeoutMs = 30_000): Promise<T> {
    const line = await waitFor(
      `READY from ${this.child.spawnargs.join(' ')}`,
      () => {
        const match = /^READY (.*)$/m.exec(this.output)
        if (match) return match[1]
        if (this.hasExited) throw new Error(`exited:\n${this.output}`)
        return undefined
      },
      { timeoutMs, intervalMs: 20 }
    )
    return JSON.parse(line) as T
  }

  /** Resolves with the last JSON line once the process exits with code 0. */
  async result<T = Record<string, unknown>>(): Promise<T> {
    const code = await this.exited
    if (code !== 0) throw new Error(`exited with ${code}:\n${this.output}`)
    const lines = this.output.trim().split('\n')
    return JSON.parse(lines[lines.length - 1]) as T
  }

  async stop() {
    if (!this.hasExited) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(timer)
  }
}

/** Runs bench/support/app_script.ts (the app booted, no HTTP) and returns its JSON. */
export function runAppScript<T = Record<string, unknown>>(
  resources: BenchResources,
  args: string[]
): Promise<T> {
  return new BenchChild('app_script.ts', args, resources.env).result<T>()
}

/** The app's checkinJob()/enqueue() for the scheduled check-ins from the first to the last of `taskIds`. */
export function enqueueCheckins(resources: BenchResources, taskIds: number[]) {
  return runAppScript(resources, [
    'enqueue-checkins',
    String(Math.min(...taskIds)),
    String(Math.max(...taskIds)),
  ])
}

export type BaselineServer = { baseUrl: string; process: BenchChild; stop(): Promise<void> }

/** bench/support/baseline_server.ts (node:http + pg), ready once it prints its port. */
export async function startBaselineServer(
  resources: BenchResources,
  env: Record<string, string> = {}
): Promise<BaselineServer> {
  const server = new BenchChild('baseline_server.ts', [], { ...resources.env, ...env })
  try {
    const { port } = await server.ready<{ port: number }>()
    return { baseUrl: `http://127.0.0.1:${port}`, process: server, stop: () => server.stop() }
  } catch (error) {
    await server.stop()
    throw error
  }
}

/**
 * The mail baseline: the messages the inbox holds now (same recipients,
 * subjects and bodies) sent again into it by bench/support/baseline_mailer.ts,
 * `concurrency` at a time. The clock is reset before; with `leadMs`, the
 * mailer fires at the first whole second at least that far ahead (`startAt`).
 * Resolves once `count` messages have arrived again, with the mailer's CPU
 * time while it sent.
 */
export async function resendWithBaselineMailer(
  clock: MailClock,
  options: { count: number; concurrency: number; timeoutMs: number; leadMs?: number }
): Promise<{ startAt: number | undefined; cpuMs: number }> {
  const { count, concurrency, timeoutMs, leadMs } = options
  const messagesFile = join(tmpdir(), `relance-bench-mails-${process.pid}.json`)
  try {
    await writeFile(
      messagesFile,
      JSON.stringify(
        clock.inbox.messages.map((mail) => ({
          to: [mail.to ?? []].flat()[0]?.text,
          subject: mail.subject,
          text: mail.text,
        }))
      )
    )
    clock.reset()
    const startAt = leadMs === undefined ? undefined : wholeSecondAfter(leadMs)
    const args = [messagesFile, String(clock.inbox.port), String(concurrency)]
    const mailer = new BenchChild(
      'baseline_mailer.ts',
      startAt === undefined ? args : [...args, String(startAt)],
      {}
    )
    let cpuMs: number
    try {
      ;({ cpuMs } = await mailer.result<{ cpuMs: number }>())
    } finally {
      await mailer.stop()
    }
    await clock.waitForCount(count, timeoutMs)
    return { startAt, cpuMs }
  } finally {
    await rm(messagesFile, { force: true })
  }
}

/** Epoch milliseconds of the first whole second at least `ms` from now. */
export function wholeSecondAfter(ms: number): number {
  return Math.ceil((Date.now() + ms) / 1000) * 1000
}

/**
 * bench/support/raw_worker.ts (bare BullMQ + pg + pooled nodemailer doing the
 * app's check-in statements, one job per email or in the app's batches),
 * ready once it consumes the app's queue.
 */
export async function startRawWorker(
  resources: BenchResources,
  smtpPort: number,
  concurrency: number,
  design: 'per-row' | 'batch' = 'per-row'
) {
  const raw = new BenchChild(
    'raw_worker.ts',
    [String(smtpPort), String(concurrency), design],
    resources.env
  )
  try {
    await raw.ready()
  } catch (error) {
    await raw.stop()
    throw error
  }
  return { pid: raw.pid, stop: () => raw.stop() }
}
