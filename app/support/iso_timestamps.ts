/**
 * A timestamp as luxon's `DateTime.toISO()` writes it in the process's zone
 * (what a model's DateTime column serializes to), without building a
 * DateTime: for rows read as plain values on hot paths. Luxon's system zone
 * takes its offset from `Date#getTimezoneOffset`, as here.
 */
export function isoTimestamp(epochMs: number | null): string | null {
  if (epochMs === null) return null
  const offset = -new Date(epochMs).getTimezoneOffset()
  const wallClock = new Date(epochMs + offset * 60_000).toISOString().slice(0, -1)
  const minutes = Math.abs(offset)
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0')
  const mm = String(minutes % 60).padStart(2, '0')
  return `${wallClock}${offset < 0 ? '-' : '+'}${hh}:${mm}`
}
