import { createServer, connect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP load balancer on a free loopback port: each new connection goes to
 * the next of `targets` in turn, as a round-robin balancer in front of
 * several web processes does. Bytes pass untouched.
 */
export class RoundRobinProxy {
  /** Connections handed to each target, by index. */
  readonly connections: number[]
  #next = 0
  readonly #sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly targets: { port: number }[]
  ) {
    this.connections = targets.map(() => 0)
  }

  static async start(targetPorts: number[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(
      createServer((client) => proxy.#forward(client)),
      targetPorts.map((port) => ({ port }))
    )
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get baseUrl() {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  #forward(client: Socket) {
    const index = this.#next
    this.#next = (this.#next + 1) % this.targets.length
    this.connections[index] += 1
    const upstream = connect(this.targets[index].port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
    client.once('error', () => upstream.destroy())
    upstream.once('error', () => client.destroy())
  }

  stop() {
    for (const socket of this.#sockets) socket.destroy()
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
