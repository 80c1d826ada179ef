/*
| Where a process allocates its memory: V8's sampling heap profiler, run in
| the process itself (node:inspector), counting the objects already
| collected too, summed by place as bench/support/cpu_profile.ts does for CPU
| time. What a pass allocates in all, not what it keeps, is what makes V8
| grow its heap.
*/
import { Session } from 'node:inspector/promises'
import { placeOf, sharesText } from './cpu_profile.js'

type HeapNode = {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: HeapNode[]
}

export type AllocationSummary = {
  totalMb: number
  places: { place: string; mb: number; share: number }[]
  functions: { name: string; place: string; mb: number; share: number }[]
}

export function summarizeAllocations(head: HeapNode, top = 10): AllocationSummary {
  const places = new Map<string, number>()
  const functions = new Map<string, { name: string; place: string; bytes: number }>()
  let total = 0
  const visit = (node: HeapNode) => {
    const place = placeOf(node.callFrame) ?? 'other'
    if (node.selfSize > 0) {
      total += node.selfSize
      places.set(place, (places.get(place) ?? 0) + node.selfSize)
      const { functionName, url, lineNumber } = node.callFrame
      const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`
      const entry = functions.get(name) ?? { name, place, bytes: 0 }
      entry.bytes += node.selfSize
      functions.set(name, entry)
    }
    node.children.forEach(visit)
  }
  visit(head)
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
  const share = (bytes: number) => (total === 0 ? 0 : Math.round((bytes / total) * 1000) / 10)
  return {
    totalMb: mb(total),
    places: [...places]
      .sort((a, b) => b[1] - a[1])
      .map(([place, bytes]) => ({ place, mb: mb(bytes), share: share(bytes) })),
    functions: [...functions.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top)
      .map(({ name, place, bytes }) => ({ name, place, mb: mb(bytes), share: share(bytes) })),
  }
}

/** Runs `work` under the sampling heap profiler; returns its result and the summary. */
export async function profileAllocations<T>(work: () => Promise<T>) {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never)
  const result = await work()
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
    profile: { head: HeapNode }
  }
  session.disconnect()
  return { result, allocations: summarizeAllocations(profile.head) }
}

/** One line for the findings: where the bytes were allocated. */
export function describeAllocations(what: string, summary: AllocationSummary): string {
  return `Allocation profile of ${what} (${summary.totalMb.toLocaleString('en-US')} MB allocated in all, collected objects included): ${sharesText(summary, 'Most allocating functions')}`
}
