import { spawn, type ChildProcess } from 'node:child_process'
import { GiveUp, waitFor } from '#tests/helpers/wait_for'

/**
 * A throwaway redis-server of the test's own, on a given loopback port,
 * without persistence: to play a Redis that comes back. Never the shared one.
 */
export class RedisServer {
  output = ''
  #failed = false
  readonly #child: ChildProcess
  readonly #exited: Promise<void>

  private constructor(readonly port: number) {
    this.#child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    this.#child.stdout!.on('data', (chunk) => (this.output += chunk))
    this.#child.stderr!.on('data', (chunk) => (this.output += chunk))
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', () => resolve())
      // No redis-server binary on PATH: no process, so no 'exit' either
      this.#child.once('error', (error) => {
        this.#failed = true
        this.output += `${error.message}\n`
        resolve()
      })
    })
  }

  /** Starts it and resolves once it accepts connections. */
  static async start(port: number): Promise<RedisServer> {
    const server = new RedisServer(port)
    await waitFor(
      `redis-server on port ${port} to accept connections`,
      () => {
        if (server.#failed || server.#child.exitCode !== null) {
          throw new GiveUp(`redis-server did not start (is it on PATH?):\n${server.output}`)
        }
        return server.output.includes('Ready to accept connections')
      },
      { timeoutMs: 10_000 }
    )
    return server
  }

  async stop() {
    if (!this.#failed && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL')
    }
    await this.#exited
  }
}
