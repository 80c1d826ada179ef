import db from '@adonisjs/lucid/services/db'

/** How many rows of `table` match `where` (all of them by default). */
export async function countRows(table: string, where: Record<string, unknown> = {}) {
  const [{ count }] = await db.from(table).where(where).count('* as count')
  return Number(count)
}
