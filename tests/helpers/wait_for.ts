/** Thrown by a probe when waiting longer cannot help (a process died). */
export class GiveUp extends Error {}

/**
 * Polls until `probe` returns a value other than undefined/false, or fails
 * with `description` once the deadline has passed. Tests wait for events
 * this way, never with fixed sleeps.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15_000, intervalMs = 50 } = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      if (error instanceof GiveUp) throw error
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${reason}`)
}

/**
 * Watches `probe` for `forMs` and fails as soon as it stops holding: what
 * must stay true for a while (no second email turns up), observed rather
 * than assumed after a sleep.
 */
export async function holdsFor(
  description: string,
  probe: () => Promise<boolean> | boolean,
  { forMs, intervalMs = 100 }: { forMs: number; intervalMs?: number }
): Promise<void> {
  const end = Date.now() + forMs
  while (Date.now() < end) {
    if (!(await probe())) throw new Error(`Stopped holding: ${description}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  if (!(await probe())) throw new Error(`Stopped holding: ${description}`)
}
