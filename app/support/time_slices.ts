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

/** `items` in consecutive chunks of at most `size`. */
export function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size))
  }
  return chunks
}

/**
 * Rows one set-based statement takes at most. Its JSON parameter is built,
 * and what it returns parsed (as one burst of socket reads), without
 * letting other requests in: 30,000 relances in one statement held the
 * event loop over 100 ms.
 */
const STATEMENT_ROWS = 2_000

/**
 * `statement` run on each chunk of `rows` in turn (in the caller's
 * transaction), what each returned joined in order. Other requests get in
 * while each chunk's statement runs.
 */
export async function inStatementChunks<T, R>(
  rows: T[],
  statement: (chunk: T[]) => Promise<R[]>
): Promise<R[]> {
  const results: R[] = []
  for (const chunk of chunksOf(rows, STATEMENT_ROWS)) results.push(...(await statement(chunk)))
  return results
}
