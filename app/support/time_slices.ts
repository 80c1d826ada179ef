import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * How long a loop over a request's items (import rows) may hold the event
 * loop before it lets other requests in.
 */
const SLICE_MS = 10

/**
 * Calls `step` on each item in turn, letting other requests in every
 * SLICE_MS: validating 10,000 rows takes as long, but never blocks the
 * event loop for more than a slice. (Awaiting a promise does not yield to
 * I/O: only a macrotask does.)
 */
export async function eachInSlices<T>(
  items: Iterable<T>,
  step: (item: T) => unknown | Promise<unknown>
): Promise<void> {
  let sliceStart = performance.now()
  for (const item of items) {
    await step(item)
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn()
      sliceStart = performance.now()
    }
  }
}

/** `items.map(step)`, in slices as `eachInSlices` runs them. */
export async function mapInSlices<T, R>(
  items: T[],
  step: (item: T, index: number) => R
): Promise<R[]> {
  const results: R[] = []
  await eachInSlices(items, (item) => {
    results.push(step(item, results.length))
  })
  return results
}
