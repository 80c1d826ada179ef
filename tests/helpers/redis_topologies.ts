import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '#tests/helpers/app_processes'
import { RedisServer } from '#tests/helpers/redis_server'
import { waitFor } from '#tests/helpers/wait_for'

/** Stops every server, whatever fails, then removes their directory. */
async function stopAll(servers: RedisServer[], dir: string) {
  await Promise.all(servers.map((server) => server.stop()))
  await rm(dir, { recursive: true, force: true })
}

/**
 * A Redis Cluster of `masters` masters and no replicas, on free loopback
 * ports, joined by `redis-cli --cluster create`; its node files in a
 * directory of its own, removed at stop.
 */
export class RedisCluster {
  private constructor(
    readonly nodes: RedisServer[],
    readonly dir: string
  ) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'relance-redis-cluster-'))
    const nodes: RedisServer[] = []
    try {
      for (let n = 0; n < masters; n++) {
        const port = await freePort()
        nodes.push(
          await RedisServer.start(port, {
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(dir, `nodes-${port}.conf`),
              '--cluster-node-timeout',
              '5000',
              '--dir',
              dir,
            ],
          })
        )
      }
      await promisify(execFile)('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ])
      await waitFor(
        'every node of the cluster to report it ok',
        async () => {
          for (const node of nodes) {
            const info = await node.cli('cluster', 'info')
            if (!info.includes('cluster_state:ok')) return false
          }
          return true
        },
        { timeoutMs: 20_000, intervalMs: 100 }
      )
    } catch (error) {
      await stopAll(nodes, dir)
      throw error
    }
    return new RedisCluster(nodes, dir)
  }

  /** REDIS_CLUSTER_NODES for the app: every node. */
  get nodesEnv() {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')
  }

  stop() {
    return stopAll(this.nodes, this.dir)
  }
}

/**
 * A master, one replica of it and a Sentinel watching them under `name`,
 * quorum 1, which declares the master down after 1 s without an answer and
 * promotes the replica.
 */
export class RedisSentinelSet {
  private constructor(
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinel: RedisServer,
    readonly name: string,
    readonly dir: string
  ) {}

  static async start(name = 'relance'): Promise<RedisSentinelSet> {
    const dir = await mkdtemp(join(tmpdir(), 'relance-redis-sentinel-'))
    const servers: RedisServer[] = []
    try {
      // A full sync writes an RDB file: in this directory, not the app's
      const master = await RedisServer.start(await freePort(), { args: ['--dir', dir] })
      servers.push(master)
      const replica = await RedisServer.start(await freePort(), {
        args: ['--dir', dir, '--replicaof', '127.0.0.1', String(master.port)],
      })
      servers.push(replica)
      await waitFor(
        'the replica to be in sync with the master',
        async () => {
          const replication = await replica.cli('info', 'replication')
          return replication.includes('master_link_status:up')
        },
        { timeoutMs: 20_000, intervalMs: 100 }
      )
      const sentinelPort = await freePort()
      // Sentinel rewrites its configuration file: one of its own
      const config = join(dir, 'sentinel.conf')
      await writeFile(
        config,
        [
          `port ${sentinelPort}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 10000`,
          '',
        ].join('\n')
      )
      const sentinel = await RedisServer.launch(sentinelPort, [config, '--sentinel'], '+monitor')
      servers.push(sentinel)
      await waitFor(
        'the sentinel to know the replica',
        async () =>
          sentinel
            .cli('sentinel', 'replicas', name)
            .then((replicas) => replicas.includes(String(replica.port))),
        { timeoutMs: 20_000, intervalMs: 100 }
      )
      return new RedisSentinelSet(master, replica, sentinel, name, dir)
    } catch (error) {
      await stopAll(servers, dir)
      throw error
    }
  }

  /** The app's environment to reach the master through the Sentinel. */
  get env() {
    return { REDIS_SENTINELS: `127.0.0.1:${this.sentinel.port}`, REDIS_SENTINEL_NAME: this.name }
  }

  /** The port of the master the Sentinel names now. */
  async masterPort(): Promise<number> {
    const reply = await this.sentinel.cli('sentinel', 'get-master-addr-by-name', this.name)
    return Number(reply.split('\n')[1])
  }

  stop() {
    return stopAll([this.sentinel, this.master, this.replica], this.dir)
  }
}
