/*
| HTTP load with autocannon, from the bench process. Every request can get its
| own path (one fresh check-in token each), and every response is checked.
| The app and its baseline are measured in alternating rounds, so a burst of
| load from another process on the machine hits both sides alike.
*/
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { BENCH_HEADERS } from './environment.js'
import { cpuSeconds } from './processes.js'
import { freePort } from '#tests/helpers/app_processes'
import { describeProfile, summarizeProfile, type ProfileSummary } from './cpu_profile.js'
import { percentile } from './stats.js'

/** The HTTP benchmarks' measured load: connections, seconds per side, alternating rounds. */
export const HTTP_LOAD = { connections: 10, seconds: 10, rounds: 2 }

/** The profiled pass that follows: short, after a short warmup. */
export const PROFILE_LOAD = { connections: HTTP_LOAD.connections, warmupSeconds: 1, seconds: 4 }

export type LoadTarget = {
  url: string
  /** The server's pid, for the CPU it spends per request. */
  pid: number
  /** The path of the next request; null when there is none left. */
  nextPath: () => string | null
  /** Whether a response is the one expected; others are counted as wrong. */
  check: (status: number, headers: Record<string, string | string[] | undefined>) => boolean
  headers?: Record<string, string>
  /** A form posted with every request (application/x-www-form-urlencoded); GET without one. */
  form?: Record<string, string>
}

export type RoundResult = {
  requests: number
  wrong: number
  errors: number
  seconds: number
  exhausted: boolean
  statusCodes: Record<string, number>
  latencies: number[]
}

export async function runRound(
  target: LoadTarget,
  { connections, seconds }: { connections: number; seconds: number }
): Promise<RoundResult> {
  let wrong = 0
  let exhausted = false
  const statusCodes: Record<string, number> = {}
  const latencies: number[] = []
  let finished!: (result: autocannon.Result) => void
  let failed!: (error: Error) => void
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve
    failed = reject
  })
  const form = target.form && {
    body: new URLSearchParams(target.form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }
  const instance = autocannon(
    {
      url: target.url,
      connections,
      pipelining: 1,
      duration: seconds,
      headers: { ...BENCH_HEADERS, ...form?.headers, ...target.headers },
      requests: [
        {
          ...(form ? { method: 'POST', body: form.body } : { method: 'GET' }),
          setupRequest: (request) => {
            const path = target.nextPath()
            if (path === null) {
              // Out of fresh tokens: end early rather than measure stale ones
              exhausted = true
              setImmediate(() => instance.stop())
              return { ...request, path: '/__exhausted' }
            }
            return { ...request, path }
          },
          onResponse: (status, _body, _context, headers) => {
            statusCodes[status] = (statusCodes[status] ?? 0) + 1
            if (!target.check(status, headers ?? {})) wrong++
          },
        },
      ],
    },
    (error, result) => (error ? failed(error) : finished(result))
  )
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime))
  const result = await done
  return {
    requests: latencies.length,
    wrong,
    errors: result.errors,
    seconds: result.duration,
    exhausted,
    statusCodes,
    latencies,
  }
}

export type SideResult = {
  requests: number
  seconds: number
  throughput: number
  p50: number
  p99: number
  /** CPU time (user + system) of the server process per request. */
  cpuMsPerRequest: number | null
  wrong: number
  errors: number
  exhausted: boolean
  statusCodes: Record<string, number>
}

/**
 * Warms each side up, then measures them in `rounds` alternating rounds
 * (baseline first, then the app, then the context side if any) of
 * `seconds / rounds` each; figures are over all rounds.
 */
export async function compareSides(
  sides: { app: LoadTarget; baseline: LoadTarget; context?: LoadTarget },
  options: { connections: number; warmupSeconds: number; seconds: number; rounds: number },
  log: (message: string) => void
): Promise<{ app: SideResult; baseline: SideResult; context?: SideResult }> {
  const { connections } = options
  log(
    `warmup ${options.warmupSeconds} s each, then ${options.rounds} alternating rounds, ${options.seconds} s per side in all`
  )
  const names = sides.context
    ? (['baseline', 'app', 'context'] as const)
    : (['baseline', 'app'] as const)
  for (const name of names) {
    await runRound(sides[name]!, { connections, seconds: options.warmupSeconds })
  }
  const rounds: Record<'app' | 'baseline' | 'context', RoundResult[]> = {
    app: [],
    baseline: [],
    context: [],
  }
  const cpu = { app: 0, baseline: 0, context: 0 }
  for (let round = 0; round < options.rounds; round++) {
    for (const name of names) {
      const side = sides[name]!
      const cpuBefore = await cpuSeconds(side.pid)
      rounds[name].push(
        await runRound(side, { connections, seconds: options.seconds / options.rounds })
      )
      const cpuAfter = await cpuSeconds(side.pid)
      cpu[name] += cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : Number.NaN
    }
  }
  return {
    app: mergeRounds(rounds.app, cpu.app),
    baseline: mergeRounds(rounds.baseline, cpu.baseline),
    ...(sides.context && { context: mergeRounds(rounds.context, cpu.context) }),
  }
}

/** One side's figures over its rounds; `cpu` is the server's CPU seconds over them. */
function mergeRounds(all: RoundResult[], cpu: number): SideResult {
  const requests = all.reduce((sum, round) => sum + round.requests, 0)
  const seconds = all.reduce((sum, round) => sum + round.seconds, 0)
  const latencies = all.flatMap((round) => round.latencies).sort((a, b) => a - b)
  const statusCodes: Record<string, number> = {}
  for (const round of all) {
    for (const [code, count] of Object.entries(round.statusCodes)) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count
    }
  }
  return {
    requests,
    seconds,
    throughput: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMsPerRequest: Number.isFinite(cpu) ? (cpu * 1000) / requests : null,
    wrong: all.reduce((sum, round) => sum + round.wrong, 0),
    errors: all.reduce((sum, round) => sum + round.errors, 0),
    exhausted: all.some((round) => round.exhausted),
    statusCodes,
  }
}

/** One server alone, for a figure kept for the record: a warmup, then one measured round. */
export async function measureSide(
  target: LoadTarget,
  options: { connections: number; warmupSeconds: number; seconds: number }
): Promise<SideResult> {
  const { connections } = options
  await runRound(target, { connections, seconds: options.warmupSeconds })
  const cpuBefore = await cpuSeconds(target.pid)
  const round = await runRound(target, { connections, seconds: options.seconds })
  // The CPU of the requests still queued in the server when the client stops counts too
  await sleep(1_000)
  const cpuAfter = await cpuSeconds(target.pid)
  return mergeRounds(
    [round],
    cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : Number.NaN
  )
}

/** Lines for the findings when a side did not answer as expected. */
export function loadProblems(side: string, result: SideResult): string[] {
  const found: string[] = []
  if (result.wrong > 0) {
    found.push(
      `${side}: ${result.wrong} unexpected responses (${JSON.stringify(result.statusCodes)})`
    )
  }
  if (result.errors > 0) found.push(`${side}: ${result.errors} connection errors`)
  if (result.exhausted) found.push(`${side}: ran out of prepared requests before the end`)
  return found
}

type LoadOptions = { connections: number; warmupSeconds: number; seconds: number }
type ProfiledRound = ProfileSummary & { cpuMs: number | null; wallMs: number; requests: number }

/**
 * Where a server's CPU goes under this load: a separate short pass against a
 * server started with the inspector open, never the figure compared to a
 * goal. Its V8 CPU profiler runs over the load only (after a warmup), not
 * over the boot: Profiler.start / Profiler.stop through the inspector's
 * WebSocket, the same profile as `--cpu-prof`, summarized by place.
 */
export async function profiledPass<
  Server extends { process: { pid: number }; stop(): Promise<void> },
>(
  start: (nodeFlags: string[]) => Promise<Server>,
  target: (server: Server) => LoadTarget,
  load: LoadOptions
): Promise<ProfiledRound> {
  const [profile] = await profiledPasses(start, [{ target, load }])
  return profile
}

/** profiledPass for several loads in turn on one server (one boot): a profile each. */
export async function profiledPasses<
  Server extends { process: { pid: number }; stop(): Promise<void> },
>(
  start: (nodeFlags: string[]) => Promise<Server>,
  passes: { target: (server: Server) => LoadTarget; load: LoadOptions }[]
): Promise<ProfiledRound[]> {
  return withProfiler(start, async (server, profileOf) => {
    const profiles: ProfiledRound[] = []
    for (const { target, load } of passes) {
      const { connections, warmupSeconds, seconds } = load
      await runRound(target(server), { connections, seconds: warmupSeconds })
      const { result: round, ...profile } = await profileOf(() =>
        runRound(target(server), { connections, seconds })
      )
      profiles.push({
        ...profile,
        wallMs: Math.round(round.seconds * 1000),
        requests: round.requests,
      })
    }
    return profiles
  })
}

type Profiled<T> = ProfileSummary & { result: T; cpuMs: number | null }

/**
 * Starts a process with the inspector open and hands `use` a way to profile
 * any stretch of its life (Profiler.start / Profiler.stop through the
 * inspector's WebSocket, the same profile as `--cpu-prof`, summarized by
 * place), so that a boot or an idle wait never dilutes what is measured.
 */
export async function withProfiler<
  Server extends { process: { pid: number }; stop(): Promise<unknown> },
  T,
>(
  start: (nodeFlags: string[]) => Promise<Server>,
  use: (
    server: Server,
    profileOf: <R>(work: () => Promise<R>) => Promise<Profiled<R>>
  ) => Promise<T>
): Promise<T> {
  const inspectorPort = await freePort()
  const server = await start([`--inspect=127.0.0.1:${inspectorPort}`])
  try {
    const targets = await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)
    const [{ webSocketDebuggerUrl }] = (await targets.json()) as { webSocketDebuggerUrl: string }[]
    const inspector = await inspectorSession(webSocketDebuggerUrl)
    try {
      await inspector.call('Profiler.enable')
      return await use(server, async (work) => {
        const cpuBefore = await cpuSeconds(server.process.pid)
        await inspector.call('Profiler.start')
        const result = await work()
        const { profile } = (await inspector.call('Profiler.stop')) as {
          profile: Parameters<typeof summarizeProfile>[0]
        }
        const cpuAfter = await cpuSeconds(server.process.pid)
        await keepProfile(profile)
        return {
          ...summarizeProfile(profile),
          result,
          /** CPU the process was given meanwhile (/proc), beside the sampled busy time */
          cpuMs:
            cpuBefore !== null && cpuAfter !== null
              ? Math.round((cpuAfter - cpuBefore) * 1000)
              : null,
        }
      })
    } finally {
      await inspector.close()
    }
  } finally {
    await server.stop()
  }
}

/**
 * With BENCH_PROFILES=<folder>, each profile is also written there whole, to
 * open in Chrome's DevTools (the report keeps only its summary).
 */
async function keepProfile(profile: unknown) {
  const folder = process.env.BENCH_PROFILES
  if (!folder) return
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, `${Date.now()}.cpuprofile`), JSON.stringify(profile))
}

/** The findings line of a profiledPass. */
export function describeLoadProfile(
  profile: ProfileSummary,
  { warmupSeconds, seconds }: { warmupSeconds: number; seconds: number }
) {
  return describeProfile(
    `the web under this load (separate pass, inspector profile over ${seconds} s of load after ${warmupSeconds} s warmup)`,
    profile
  )
}

/** A minimal Chrome DevTools Protocol client: one call at a time. */
async function inspectorSession(url: string) {
  const socket = new WebSocket(url)
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true })
    socket.addEventListener('error', reject, { once: true })
  })
  let nextId = 1
  const pending = new Map<number, (message: { result?: unknown; error?: unknown }) => void>()
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data))
    pending.get(message.id)?.(message)
    pending.delete(message.id)
  })
  return {
    call(method: string): Promise<unknown> {
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, ({ result, error }) =>
          error ? reject(new Error(`${method}: ${JSON.stringify(error)}`)) : resolve(result)
        )
        socket.send(JSON.stringify({ id, method }))
      })
    },
    /**
     * Resolves once the socket is closed: a process that exits while a
     * debugger is still attached waits for it to go ("Waiting for the
     * debugger to disconnect..."), and would ignore the SIGTERM that follows.
     */
    close() {
      const closed = new Promise((resolve) =>
        socket.addEventListener('close', resolve, { once: true })
      )
      socket.close()
      return closed
    },
  }
}
