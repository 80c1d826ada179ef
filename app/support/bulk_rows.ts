import type { LucidModel, ModelObject } from '@adonisjs/lucid/types/model'
import { chunksOf, eachInSlices } from '#support/time_slices'

// Rows hydrated at once: a model per row costs microseconds, 40,000 at once held the event loop
const HYDRATION_CHUNK = 500

/**
 * Models for the rows a set-based statement returned. They are not bound to
 * the transaction on purpose: each bound model adds a commit and a rollback
 * listener to it, and with tens of thousands of models the commit alone took
 * seconds (7 s for an import of 10,000 invoices). Once committed, a bound
 * model is unbound anyway; inside the transaction, pass `{ client: trx }`
 * explicitly to write through one. Hydrated a chunk at a time, letting
 * other requests in between.
 */
export async function modelsFromRows<Model extends LucidModel>(
  model: Model,
  rows: ModelObject[]
): Promise<InstanceType<Model>[]> {
  const models: InstanceType<Model>[] = []
  await eachInSlices(chunksOf(rows, HYDRATION_CHUNK), (chunk) => {
    models.push(...model.$createMultipleFromAdapterResult(chunk))
  })
  return models
}
