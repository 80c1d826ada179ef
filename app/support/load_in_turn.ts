import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel, LucidRow } from '@adonisjs/lucid/types/model'

/** What Lucid's preloader calls on a relation, whatever its kind. */
type EagerRelation = {
  boot(): void
  eagerQuery(
    parents: LucidRow[],
    client: QueryClientContract
  ): { selectRelationKeys(): { exec(): Promise<LucidRow[]> } }
  setRelatedForMany(parents: LucidRow[], related: LucidRow[]): void
}

/**
 * Loads these relations onto the rows one relation after the other, one
 * query each, with the very calls `.preload()` makes. Lucid runs sibling
 * preloads (`.preload('user').preload('customer')`) at once: inside a
 * transaction they share its one connection, where pg deprecates starting a
 * query before the previous one answered (and pg 9 refuses it).
 */
export async function loadInTurn(
  rows: LucidRow[],
  relations: string[],
  client: QueryClientContract
) {
  if (rows.length === 0) return
  const model = rows[0].constructor as LucidModel
  for (const name of relations) {
    const relation = model.$getRelation(name) as unknown as EagerRelation
    relation.boot()
    const related = await relation.eagerQuery(rows, client).selectRelationKeys().exec()
    relation.setRelatedForMany(rows, related)
  }
}
