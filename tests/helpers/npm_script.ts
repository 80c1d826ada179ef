import { execFile } from 'node:child_process'
import { delimiter, sep } from 'node:path'
import { promisify } from 'node:util'
import { NodeProcess } from '#tests/helpers/app_processes'

/**
 * PATH without the node_modules/.bin folders `npm test` put first: the
 * machine's own `node` and `npm`, as a shell has them.
 */
export function shellPath() {
  return process.env
    .PATH!.split(delimiter)
    .filter((entry) => !entry.endsWith(`node_modules${sep}.bin`))
    .join(delimiter)
}

/**
 * `npm run <script>` as a user types it in a terminal: npm of the machine,
 * leading a process group of its own (a shell job's group).
 */
export class NpmScript extends NodeProcess {
  constructor(script: string, env: Record<string, string>) {
    super(['run', script], { PATH: shellPath(), ...env }, { command: 'npm', detached: true })
  }

  /** What Ctrl-C does: SIGINT to the foreground process group. */
  interrupt() {
    process.kill(-this.pid, 'SIGINT')
  }

  /** `kill <npm pid>`: SIGTERM to npm alone. */
  terminate() {
    process.kill(this.pid, 'SIGTERM')
  }
}

type ProcessRow = { pid: number; ppid: number; pgid: number; zombie: boolean }

async function processTable(): Promise<ProcessRow[]> {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='])
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, pgid, stat] = line.trim().split(/\s+/)
      return {
        pid: Number(pid),
        ppid: Number(ppid),
        pgid: Number(pgid),
        zombie: stat.startsWith('Z'),
      }
    })
}

/** The process groups of a process and of every process below it. */
export async function processGroupsBelow(pid: number): Promise<Set<number>> {
  const table = await processTable()
  const tree = new Set([pid])
  for (let grew = true; grew;) {
    grew = false
    for (const row of table) {
      if (tree.has(row.ppid) && !tree.has(row.pid)) {
        tree.add(row.pid)
        grew = true
      }
    }
  }
  return new Set(table.filter((row) => tree.has(row.pid)).map((row) => row.pgid))
}

/** The processes still alive (zombies are dead) in these process groups. */
export async function aliveIn(groups: Set<number>): Promise<ProcessRow[]> {
  const table = await processTable()
  return table.filter((row) => groups.has(row.pgid) && !row.zombie)
}

/** SIGKILL to every process of these groups: the cleanup of a test that failed midway. */
export function killGroups(groups: Set<number>) {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // Already empty
    }
  }
}
