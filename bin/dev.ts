/*
|--------------------------------------------------------------------------
| npm run dev
|--------------------------------------------------------------------------
|
| The app for local work in one command: .env and the database when missing
| (bin/setup.ts), the migrations, the dev inbox when nothing listens on
| SMTP_HOST:SMTP_PORT (maildev: SMTP there, web UI on DEV_INBOX_PORT), then
| the web server in watch mode, the worker and, when INBOUND_DOMAIN is set,
| the inbound SMTP receiver as child processes, their output prefixed with
| their name.
|
| SIGINT (Ctrl-C), SIGTERM or the end of the npm process that started it
| stops everything: SIGTERM to each child, SIGKILL to the process group of
| any still running after the grace period, the inbox closed, exit.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { styleText } from 'node:util'
import { MailDev } from 'maildev'
import { setUp } from './setup.js'

const APP_ROOT = fileURLToPath(new URL('../', import.meta.url))
/** From SIGTERM to SIGKILL: time for the worker to finish the emails in hand. */
const GRACE_MS = 7_000
/** Process groups (and signals) exist on POSIX systems only. */
const POSIX = process.platform !== 'win32'
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::'])

type Color = 'blue' | 'magenta' | 'yellow' | 'cyan' | 'gray' | 'red'

function say(
  label: string,
  color: Color,
  text: string,
  stream: NodeJS.WriteStream = process.stdout
) {
  const prefix = styleText(color, `[${label}]`.padEnd(9), { stream })
  for (const line of text.split('\n')) stream.write(`${prefix} ${line}\n`)
}
const note = (text: string) => say('dev', 'cyan', text)

/** A Node.js child of the app root, in a process group of its own. */
class Child {
  readonly process: ChildProcess
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>

  constructor(
    readonly name: string,
    color: Color,
    args: string[]
  ) {
    this.process = spawn(process.execPath, args, {
      cwd: APP_ROOT,
      // Its own group: a stop reaches what it spawns (`ace serve` runs bin/server.ts)
      detached: POSIX,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.stdout.isTTY ? { FORCE_COLOR: '1', ...process.env } : process.env,
    })
    for (const [from, to] of [
      [this.process.stdout!, process.stdout],
      [this.process.stderr!, process.stderr],
    ] as const) {
      createInterface({ input: from }).on('line', (line) => say(name, color, line, to))
    }
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code) => resolve(code))
      this.process.once('error', (error) => {
        say(name, 'red', error.message, process.stderr)
        resolve(1)
      })
    })
  }

  get running() {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** Signals the process group, or the process alone where there are none. */
  signal(signal: NodeJS.Signals) {
    try {
      if (POSIX) process.kill(-this.process.pid!, signal)
      else this.process.kill(signal)
    } catch {
      // The group is already empty
    }
  }
}

const children: Child[] = []
let inbox: MailDev | undefined
let stopping = false

function start(name: string, color: Color, args: string[]) {
  const child = new Child(name, color, args)
  children.push(child)
  child.exited.then((code) => {
    if (!stopping) stop(`${name} exited with code ${code}`, 1)
  })
  return child
}

/** Runs a step to its end; stops everything when it fails. */
async function step(name: string, args: string[]) {
  const child = new Child(name, 'gray', args)
  children.push(child)
  const code = await child.exited
  if (code !== 0 && !stopping) await stop(`${name} failed with code ${code}`, 1)
}

async function stop(reason: string, exitCode = 0): Promise<never> {
  if (stopping) return new Promise(() => {})
  stopping = true
  note(`stopping: ${reason}`)
  const running = children.filter((child) => child.running)
  // The group leaders first: `ace serve` stops its HTTP server itself
  for (const child of running) child.process.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const overdue = await Promise.race([
    Promise.all(running.map((child) => child.exited)).then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), GRACE_MS))),
  ])
  clearTimeout(timer)
  const late = running.filter((child) => child.running).map((child) => child.name)
  // Whatever a child left behind in its group goes with it
  for (const child of children) child.signal('SIGKILL')
  if (overdue) note(`killed after ${GRACE_MS / 1000} s: ${late.join(', ')}`)
  await inbox?.stop()
  process.exit(overdue ? 1 : exitCode)
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => stop(signal))
}
// npm passes SIGTERM to the shell running this script, and that shell exits
// without passing it on: the end of the parent is the signal.
const parentPid = process.ppid
setInterval(() => {
  if (process.ppid !== parentPid) stop('npm exited')
}, 250).unref()

/** Whether a TCP port can be listened on. */
function isFree(host: string, port: number) {
  return new Promise<boolean>((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, host, () => server.close(() => resolve(true)))
  })
}

/**
 * The greeting line of the SMTP server at host:port ('' when it says
 * nothing within a second), or undefined when nothing listens there.
 */
function smtpGreeting(host: string, port: number) {
  return new Promise<string | undefined>((resolve) => {
    const socket = createConnection({ host, port })
    let received = ''
    socket.setTimeout(1_000)
    socket.once('error', () => resolve(undefined))
    socket.once('timeout', () => {
      resolve(socket.connecting ? undefined : received)
      socket.destroy()
    })
    socket.on('data', (chunk) => {
      received += chunk
      if (!received.includes('\n')) return
      resolve(received.split(/\r?\n/)[0])
      socket.end('QUIT\r\n')
    })
  })
}

/** Starts maildev, or finds the SMTP server already there: the banner's inbox line. */
async function openInbox(smtpHost: string, smtpPort: number, inboxPort: number) {
  const urlHost = smtpHost.includes(':') ? `[${smtpHost}]` : smtpHost
  const inboxUrl = `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${inboxPort}`
  const greeting = await smtpGreeting(smtpHost, smtpPort)
  if (greeting !== undefined) {
    const name = /mailpit/i.test(greeting) ? 'Mailpit' : /maildev/i.test(greeting) ? 'MailDev' : ''
    return name
      ? `${inboxUrl}  ${name}, already listening on SMTP ${smtpHost}:${smtpPort}`
      : `the SMTP server already listening on ${smtpHost}:${smtpPort} ("${greeting}")`
  }
  if (!LOCAL_HOSTS.has(smtpHost)) {
    return `none: nothing answers on ${smtpHost}:${smtpPort}, emails fail until it does`
  }
  if (!(await isFree(smtpHost, inboxPort))) {
    await stop(`DEV_INBOX_PORT ${inboxPort} is taken: set another one in .env`, 1)
  }
  inbox = new MailDev({
    smtp: smtpPort,
    ip: smtpHost,
    web: inboxPort,
    webIp: smtpHost,
    silent: true,
  })
  const { smtp } = await inbox.start()
  smtp.on('new', (email: { to?: { address: string }[]; subject?: string }) => {
    const to = email.to?.map((address) => address.address).join(', ')
    say('inbox', 'cyan', `email to ${to}: ${email.subject}`)
  })
  return `${inboxUrl}  maildev, started by npm run dev (SMTP ${smtpHost}:${smtpPort})`
}

/** Polls the health route until the web server answers, whatever its status. */
async function waitForWeb(url: string) {
  while (!stopping) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(2_000) })
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

async function main() {
  await setUp(process.env.NODE_ENV ?? 'development')
  // After setUp, which writes .env when it is missing; validated as the app does
  const { default: env } = await import('#start/env')
  const host = env.get('HOST')
  const port = env.get('PORT')

  await step('migrate', ['ace.js', 'migration:run', '--compact-output'])
  if (stopping) return
  // `ace serve` would quietly take another port, away from APP_URL
  if (!(await isFree(host, port))) {
    await stop(`PORT ${port} is taken on ${host} (another npm run dev?): set another one`, 1)
  }
  const inboxLine = await openInbox(
    env.get('SMTP_HOST'),
    env.get('SMTP_PORT'),
    env.get('DEV_INBOX_PORT', 8025)
  )
  if (stopping) return

  start('web', 'blue', ['ace.js', 'serve', '--watch', '--no-clear'])
  start('worker', 'magenta', ['ace.js', 'queue:work'])
  const inboundDomain = env.get('INBOUND_DOMAIN')
  if (inboundDomain) start('inbound', 'yellow', ['ace.js', 'inbound:serve'])

  const apiUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/api/v1`
  const health = await waitForWeb(`${apiUrl}/health`)
  if (!health) return
  const healthNote = health.ok ? '' : `  (health answers ${health.status}: ${await health.text()})`
  note(
    [
      `Relance is running on Node.js ${process.version}`,
      `  API    ${apiUrl}${healthNote}`,
      `  Inbox  ${inboxLine}`,
      inboundDomain
        ? `  Reply  SMTP ${env.get('INBOUND_SMTP_HOST', '127.0.0.1')}:${env.get('INBOUND_SMTP_PORT', 2525)} for reply+…@${inboundDomain}; node ace inbound:send-test answers the newest relance`
        : `  Reply  off (INBOUND_DOMAIN is empty): relances reply to the freelancer`,
      `  Demo   npm run db:seed creates an account to log in with, and prints it`,
      `Ctrl-C stops the web server, the worker${inboundDomain ? ', the inbound receiver' : ''} and the inbox.`,
    ].join('\n')
  )
}

// Never leave the children behind, whatever went wrong here
function fail(error: unknown) {
  say('dev', 'red', error instanceof Error ? (error.stack ?? error.message) : String(error))
  return stop('unexpected error', 1)
}
process.on('uncaughtException', fail)
main().catch(fail)
