import net from 'node:net'
import env from '#start/env'

/**
 * Runs `work` under the production rules for webhook targets (https,
 * public addresses only), as WEBHOOK_ALLOW_PRIVATE unset gives them.
 */
export async function underProductionRules<T>(work: () => Promise<T>): Promise<T> {
  const previous = env.get('WEBHOOK_ALLOW_PRIVATE')
  env.set('WEBHOOK_ALLOW_PRIVATE', false)
  try {
    return await work()
  } finally {
    env.set('WEBHOOK_ALLOW_PRIVATE', previous)
  }
}

/**
 * Runs `work` with every socket this process opens to an address off this
 * machine stopped before it connects, and reported in `attempted`: a test of
 * a refusal sends nothing out even when the refusal is broken.
 */
export async function withoutOutboundSockets<T>(
  work: (attempted: string[]) => Promise<T>
): Promise<T> {
  const attempted: string[] = []
  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function (this: net.Socket, ...args: any[]) {
    const [options] = args
    const host = typeof options === 'object' ? String(options.host ?? '') : ''
    if (net.isIP(host) && !/^(127\.|::1$|::ffff:127\.)/.test(host)) {
      attempted.push(`${host}:${options.port}`)
      process.nextTick(() => this.destroy(new Error(`test: a connection to ${host} was stopped`)))
      return this
    }
    return connect.apply(this, args as Parameters<typeof connect>)
  } as typeof connect
  try {
    return await work(attempted)
  } finally {
    net.Socket.prototype.connect = connect
  }
}
