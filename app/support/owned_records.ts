import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { forNoKeyUpdate } from '#support/row_locks'

/**
 * One of the user's rows by id; another user's is a 404 like a missing one.
 * Inside a transaction the row is locked (FOR NO KEY UPDATE).
 */
export async function findOwned<Model extends LucidModel>(
  model: Model,
  userId: number,
  id: number,
  trx?: TransactionClientContract
): Promise<InstanceType<Model>> {
  const query = model
    .query(trx ? { client: trx } : {})
    .where('user_id', userId)
    .where('id', id)
  return (trx ? forNoKeyUpdate(query) : query).firstOrFail()
}
