/*
| Where a process's CPU time goes: a V8 CPU profile (`node --cpu-prof`)
| summed by self time per place — our code (app, start, config, commands),
| each npm package, Node.js core, garbage collection, V8 itself — and the
| functions that cost most. The findings of each benchmark quote it.
*/
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP_ROOT } from './environment.js'

type ProfileNode = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export type ProfileSummary = {
  /** Sampled time, idle excluded, in ms */
  busyMs: number
  places: { place: string; ms: number; share: number }[]
  functions: { name: string; place: string; ms: number; share: number }[]
}

const OUR_FOLDERS = ['app/', 'start/', 'config/', 'commands/', 'providers/', 'bin/']

/** The place a function belongs to: "ours", an npm package, "Node.js core", GC or V8. */
export function placeOf({ functionName, url }: ProfileNode['callFrame']): string | null {
  if (functionName === '(idle)') return null
  if (functionName === '(garbage collector)') return 'garbage collection'
  if (url === '') return 'V8 and native code'
  if (url.startsWith('node:')) return 'Node.js core'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/')
    return scope.startsWith('@') ? `${scope}/${name}` : scope
  }
  const path = decodeURIComponent(url.replace(/^file:\/\//, ''))
  const inApp = path.startsWith(APP_ROOT) ? path.slice(APP_ROOT.length).replace(/^build\//, '') : ''
  if (OUR_FOLDERS.some((folder) => inApp.startsWith(folder))) return 'ours (app, start, config)'
  return inApp ? `other project files (${inApp.split('/')[0]})` : 'other'
}

export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  const places = new Map<string, number>()
  const functions = new Map<string, { name: string; place: string; us: number }>()
  let busyUs = 0
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame
    const place = placeOf(frame)
    if (place === null) continue
    busyUs += us
    places.set(place, (places.get(place) ?? 0) + us)
    const file = frame.url.split('/').slice(-2).join('/')
    const name = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`
    const entry = functions.get(name) ?? { name: name.trim(), place, us: 0 }
    entry.us += us
    functions.set(name, entry)
  }
  const share = (us: number) => (busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10)
  return {
    busyMs: Math.round(busyUs / 1000),
    places: [...places]
      .sort((a, b) => b[1] - a[1])
      .map(([place, us]) => ({ place, ms: Math.round(us / 1000), share: share(us) })),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ name, place, us }) => ({ name, place, ms: Math.round(us / 1000), share: share(us) })),
  }
}

/** The places above 2% and the five costliest functions, as the findings quote them. */
export function sharesText(
  summary: {
    places: { place: string; share: number }[]
    functions: { name: string; place: string; share: number }[]
  },
  functionsLabel: string
): string {
  const places = summary.places
    .filter((place) => place.share >= 2)
    .map((place) => `${place.place} ${place.share}%`)
    .join(', ')
  const functions = summary.functions
    .slice(0, 5)
    .map((fn) => `${fn.name} (${fn.place}) ${fn.share}%`)
    .join('; ')
  return `${places}. ${functionsLabel}: ${functions}.`
}

/** One line for the findings: where the busy time went. */
export function describeProfile(what: string, summary: ProfileSummary): string {
  return `CPU profile of ${what} (${(summary.busyMs / 1000).toFixed(1)} s busy, self time): ${sharesText(summary, 'Costliest functions')}`
}

/** A place's share of the profile, in percent (0 when it does not appear). */
export function placeShare(summary: Pick<ProfileSummary, 'places'>, place: string): number {
  return summary.places.find((entry) => entry.place === place)?.share ?? 0
}

/**
 * A folder for `--cpu-prof-dir`, and the summary of the profile the process
 * wrote there when it exited.
 */
export async function profileFolder() {
  const dir = await mkdtemp(join(tmpdir(), 'relance-bench-prof-'))
  return {
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    async summary(): Promise<ProfileSummary | null> {
      try {
        const files = await readdir(dir)
        // The main thread's (thread id 0: CPU.<date>.<time>.<pid>.0.<n>.cpuprofile), not a worker thread's
        const profiles = files.filter((name) => name.endsWith('.cpuprofile'))
        const file = profiles.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? profiles[0]
        if (!file) return null
        return summarizeProfile(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}
