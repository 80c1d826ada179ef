import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { GiveUp, waitFor } from '#tests/helpers/wait_for'
import { verificationLinkFrom, type SmtpInbox } from '#tests/helpers/smtp_inbox'
import { dayFromToday } from '#tests/helpers/calendar'

const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(join(APP_ROOT, 'package.json'), 'utf8')
).scripts

/**
 * What an npm script of package.json passes to `node`, Node options
 * included: the one place the app's processes are started from, by npm in
 * production and here in the tests and benchmarks.
 */
export function scriptArguments(script: string): string[] {
  const [command, ...args] = SCRIPTS[script].split(' ')
  if (command !== 'node') throw new Error(`npm script "${script}" does not run node`)
  return args
}

/** The npm scripts starting each process, from the sources and from the build. */
const SCRIPT_OF = {
  web: { source: 'web', build: 'start' },
  worker: { source: 'worker', build: 'start:worker' },
  inbound: { source: 'inbound', build: 'start:inbound' },
} as const

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A Node.js process started in the app root with the given arguments, the
 * environment of this process plus `env`, and its stdout and stderr kept in
 * `output`. The base of AppProcess, for other processes the same way;
 * `command` runs another program (npm), `detached` makes it the leader of a
 * process group of its own.
 */
export class NodeProcess {
  output = ''
  protected readonly child: ChildProcess
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>

  constructor(
    args: string[],
    env: Record<string, string>,
    { command = process.execPath, detached = false } = {}
  ) {
    this.child = spawn(command, args, {
      cwd: APP_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    })
    this.child.stdout!.on('data', (chunk) => (this.output += chunk))
    this.child.stderr!.on('data', (chunk) => (this.output += chunk))
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  get pid() {
    return this.child.pid!
  }

  get hasExited() {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  waitForOutput(text: string, timeoutMs = 30_000) {
    return waitFor(
      `"${text}" in the process output`,
      () => {
        if (this.hasExited) throw new GiveUp(`process exited:\n${this.output}`)
        return this.output.includes(text)
      },
      { timeoutMs }
    )
  }
}

/**
 * A web, worker or inbound receiver process of the app, started as the npm
 * scripts start them, with environment overrides. Its output is kept for
 * failure messages.
 */
export class AppProcess extends NodeProcess {
  constructor(
    role: 'web' | 'worker' | 'inbound',
    env: Record<string, string>,
    {
      concurrency = 5,
      code = 'source',
      nodeFlags = [],
    }: {
      concurrency?: number
      /** `build`: the output of `npm run build`, as `npm start` / `npm run start:worker` run it */
      code?: 'source' | 'build'
      /** Options for Node itself (a CPU profile, heap limits) */
      nodeFlags?: string[]
    } = {}
  ) {
    const args = scriptArguments(SCRIPT_OF[role][code])
    if (role === 'worker') args.push(`--concurrency=${concurrency}`)
    super([...nodeFlags, ...args], { NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env })
  }

  /**
   * Sends a signal and resolves with the exit code. A process still running
   * after the grace period is killed, and that is an error: every process
   * must stop on SIGTERM.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | null> {
    if (!this.hasExited) this.child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const overdue = new Promise<'overdue'>((resolve) => {
      timer = setTimeout(() => resolve('overdue'), graceMs)
    })
    const outcome = await Promise.race([this.exited, overdue])
    clearTimeout(timer)
    if (outcome === 'overdue') {
      this.child.kill('SIGKILL')
      await this.exited
      throw new Error(`process ignored ${signal} for ${graceMs} ms:\n${this.output}`)
    }
    return outcome
  }
}

/** Starts a worker process; resolves once it consumes its queues. */
export async function startWorker(
  env: Record<string, string>,
  options?: { concurrency?: number; nodeFlags?: string[] }
): Promise<AppProcess> {
  const worker = new AppProcess('worker', env, options)
  try {
    await worker.waitForOutput('worker consuming')
  } catch (error) {
    await worker.stop('SIGKILL')
    throw error
  }
  return worker
}

export type RunningApp = {
  baseUrl: string
  web: AppProcess
  worker: AppProcess
  stop(): Promise<void>
}

function waitForHealth(web: AppProcess, baseUrl: string) {
  return waitFor(
    'the web process to answer /health',
    async () => {
      if (web.hasExited) throw new GiveUp(`web exited:\n${web.output}`)
      const response = await fetch(`${baseUrl}/api/v1/health`)
      return response.status === 200
    },
    { timeoutMs: 30_000, intervalMs: 100 }
  )
}

/** The environment of web and worker processes listening on a free port. */
async function listeningEnv(env: Record<string, string>) {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  return { baseUrl, env: { HOST: '127.0.0.1', PORT: String(port), APP_URL: baseUrl, ...env } }
}

/** Starts a web process alone, with `env` on top; resolves once it answers /health. */
export async function startWeb(
  env: Record<string, string> = {}
): Promise<Pick<RunningApp, 'baseUrl' | 'web'>> {
  const listening = await listeningEnv(env)
  const web = new AppProcess('web', listening.env)
  try {
    await waitForHealth(web, listening.baseUrl)
  } catch (error) {
    await web.stop('SIGKILL')
    throw error
  }
  return { baseUrl: listening.baseUrl, web }
}

/**
 * Starts web and worker as separate processes against the test database,
 * the test queues and the given SMTP port; resolves once both are ready.
 */
export async function startApp(env: Record<string, string>): Promise<RunningApp> {
  const { baseUrl, env: shared } = await listeningEnv(env)
  const web = new AppProcess('web', shared)
  const worker = new AppProcess('worker', shared)
  try {
    await waitForHealth(web, baseUrl)
    await worker.waitForOutput('worker consuming')
  } catch (error) {
    await Promise.all([web.stop('SIGKILL'), worker.stop('SIGKILL')])
    throw error
  }
  return {
    baseUrl,
    web,
    worker,
    async stop() {
      await Promise.all([web.stop(), worker.stop()])
    },
  }
}

/** A JSON call to the API of a running app, as the SPA makes it. */
export async function callApi(
  app: Pick<RunningApp, 'baseUrl'>,
  method: string,
  path: string,
  { token, body }: { token?: string; body?: unknown } = {}
) {
  const response = await fetch(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json: any = response.status === 204 ? null : await response.json()
  return { status: response.status, body: json }
}

/** Registers a freelancer on a running app and returns the bearer token. */
export async function registerOn(
  app: Pick<RunningApp, 'baseUrl'>,
  email: string,
  fullName = 'Camille Martin'
) {
  const registration = await callApi(app, 'POST', '/auth/register', {
    body: { fullName, email, password: 'a-long-password' },
  })
  if (registration.status !== 201) {
    throw new Error(`registration failed: ${JSON.stringify(registration.body)}`)
  }
  return registration.body.data.token as string
}

/**
 * Registers on a running app and verifies the address as a user does,
 * through the link of the verification email (which leaves the inbox).
 */
export async function registerVerifiedOn(
  app: Pick<RunningApp, 'baseUrl'>,
  inbox: SmtpInbox,
  email: string,
  fullName?: string
) {
  const token = await registerOn(app, email, fullName)
  const [mail] = await inbox.waitForMessageTo(email)
  // The link shows a page; its button POSTs to the same URL
  const click = await fetch(verificationLinkFrom(mail), { method: 'POST', redirect: 'manual' })
  if (!click.headers.get('location')?.endsWith('/email-verification/verified')) {
    throw new Error(`verification failed: ${click.status} ${click.headers.get('location')}`)
  }
  inbox.take(mail)
  return token
}

/**
 * POST /invoices on a running app, as the SPA sends it, for the client
 * Acme SAS <compta@acme.test>, due yesterday unless `dueDate` says otherwise;
 * the caller checks the answer.
 */
export function postInvoiceOn(
  app: Pick<RunningApp, 'baseUrl'>,
  token: string,
  {
    number,
    amountCents,
    dueDate = dayFromToday(-1).toISODate()!,
  }: { number: string; amountCents: number; dueDate?: string }
) {
  return callApi(app, 'POST', '/invoices', {
    token,
    body: { number, clientName: 'Acme SAS', clientEmail: 'compta@acme.test', amountCents, dueDate },
  })
}
