import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Socket } from 'node:net'
import env from '#start/env'
import { freePort } from '#tests/helpers/app_processes'
import { ServerProcess } from '#tests/helpers/server_process'
import { GiveUp, waitFor } from '#tests/helpers/wait_for'

/** Debian installs it in /usr/sbin, which is not on every PATH. */
const PGBOUNCER_BINARY = existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer'

/**
 * PgBouncer refuses to run as root (CI containers are root): it then runs
 * as `nobody`, owning its directory.
 */
function unprivilegedUser() {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }))
  return { uid: id('-u'), gid: id('-g') }
}

function accepts(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = new Socket()
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.connect(port, '127.0.0.1')
  })
}

/**
 * A PgBouncer of the test's own in transaction pooling mode, on a free
 * loopback port, in front of the test database: a server connection is
 * lent to a client for one transaction (or one statement outside one), as
 * hosted PostgreSQL setups run it. Its ini and userlist live in a temporary
 * directory removed on stop.
 */
export class PgBouncer {
  readonly #process: ServerProcess

  private constructor(
    readonly port: number,
    readonly directory: string,
    ini: string
  ) {
    this.#process = new ServerProcess(PGBOUNCER_BINARY, [ini], unprivilegedUser())
  }

  /**
   * Starts it and resolves once it accepts connections. `poolSize` bounds
   * the server connections per database and user: what PostgreSQL sees,
   * however many clients connect.
   */
  static async start({ poolSize = 20 }: { poolSize?: number } = {}): Promise<PgBouncer> {
    const port = await freePort()
    const directory = await mkdtemp(join(tmpdir(), 'relance-pgbouncer-'))
    await writeFile(
      join(directory, 'userlist.txt'),
      `"${env.get('DB_USER')}" "${env.get('DB_PASSWORD') ?? ''}"\n`
    )
    const ini = join(directory, 'pgbouncer.ini')
    await writeFile(
      ini,
      [
        '[databases]',
        `${env.get('DB_DATABASE')} = host=${env.get('DB_HOST')} port=${env.get('DB_PORT')} dbname=${env.get('DB_DATABASE')}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        `unix_socket_dir = ${directory}`,
        `pidfile = ${join(directory, 'pgbouncer.pid')}`,
        'auth_type = trust',
        `auth_file = ${join(directory, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        'server_reset_query =',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n')
    )
    const user = unprivilegedUser()
    if (user) {
      for (const path of [directory, ini, join(directory, 'userlist.txt')]) {
        await chown(path, user.uid, user.gid)
      }
    }
    const bouncer = new PgBouncer(port, directory, ini)
    try {
      await waitFor(
        `pgbouncer on port ${port} to accept connections`,
        async () => {
          if (!bouncer.#process.running) {
            throw new GiveUp(`pgbouncer did not start:\n${bouncer.#process.output}`)
          }
          return accepts(port)
        },
        { timeoutMs: 10_000 }
      )
    } catch (error) {
      await bouncer.stop()
      throw error
    }
    return bouncer
  }

  /** The environment that sends a process's database connections through it. */
  get env() {
    return { DB_HOST: '127.0.0.1', DB_PORT: String(this.port) }
  }

  async stop() {
    await this.#process.stop('SIGTERM')
    await rm(this.directory, { recursive: true, force: true })
  }
}
