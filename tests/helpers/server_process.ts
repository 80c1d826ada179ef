import { spawn, type SpawnOptions } from 'node:child_process'

/**
 * A server binary the test starts itself (redis-server, pgbouncer): its
 * output kept for error messages, and whether it is still running. A
 * missing binary spawns no process, so it emits 'error' and never 'exit'.
 */
export class ServerProcess {
  output = ''
  #failed = false
  readonly #child
  readonly #exited: Promise<void>

  constructor(binary: string, argv: string[], options: SpawnOptions = {}) {
    this.#child = spawn(binary, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child.stdout!.on('data', (chunk) => (this.output += chunk))
    this.#child.stderr!.on('data', (chunk) => (this.output += chunk))
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', () => resolve())
      this.#child.once('error', (error) => {
        this.#failed = true
        this.output += `${error.message}\n`
        resolve()
      })
    })
  }

  get running() {
    return !this.#failed && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** Stops it with `signal` if it runs, and waits until it has. */
  async stop(signal: NodeJS.Signals) {
    if (this.running) this.#child.kill(signal)
    await this.#exited
  }
}
