import pLimit from 'p-limit'
import { Exception } from '@adonisjs/core/exceptions'

/**
 * A line for heavy work in this process: at most `concurrency` runs at
 * once, the rest wait their turn holding no database connection, so the
 * requests of everyone else keep the pool's connections and the event loop.
 * Past `waiting` requests in line, a 429 asks to try again later rather
 * than letting the line grow without end.
 */
export function workLine({
  concurrency,
  waiting,
  busyMessage,
}: {
  concurrency: number
  waiting: number
  busyMessage: string
}) {
  const limit = pLimit(concurrency)
  return <T>(work: () => Promise<T>): Promise<T> => {
    if (limit.pendingCount >= waiting) {
      throw new Exception(busyMessage, { status: 429, code: 'E_BUSY' })
    }
    return limit(work)
  }
}
