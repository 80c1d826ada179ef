import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ServerProcess } from '#tests/helpers/server_process'
import { GiveUp, waitFor } from '#tests/helpers/wait_for'

/**
 * A throwaway redis-server of the test's own, on a given loopback port,
 * without persistence: to play a Redis that comes back, a TLS one, a node of
 * a Cluster, a replica, a Sentinel. Never the shared one.
 */
export class RedisServer {
  readonly #process: ServerProcess

  private constructor(
    readonly port: number,
    argv: string[]
  ) {
    this.#process = new ServerProcess('redis-server', argv)
  }

  get output() {
    return this.#process.output
  }

  /**
   * Starts it and resolves once it accepts connections. `args` come after
   * the defaults and win over them (`--port 0 --tls-port <port>`: TLS only).
   */
  static start(port: number, { args = [] }: { args?: string[] } = {}): Promise<RedisServer> {
    return RedisServer.launch(
      port,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
      'Ready to accept connections'
    )
  }

  /** Starts `redis-server <argv>` and resolves once its output shows `readyText`. */
  static async launch(port: number, argv: string[], readyText: string): Promise<RedisServer> {
    const server = new RedisServer(port, argv)
    await waitFor(
      `redis-server on port ${port} to be ready`,
      () => {
        if (!server.running) {
          throw new GiveUp(`redis-server did not start (is it on PATH?):\n${server.output}`)
        }
        return server.output.includes(readyText)
      },
      { timeoutMs: 10_000 }
    )
    return server
  }

  /** A redis-cli command against this server (plain TCP), its output trimmed. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(this.port), ...args])
    return stdout.trim()
  }

  get running() {
    return this.#process.running
  }

  stop() {
    return this.#process.stop('SIGKILL')
  }
}
