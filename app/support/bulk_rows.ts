import type { LucidModel, ModelObject } from '@adonisjs/lucid/types/model'

/**
 * Models for the rows a set-based statement returned. They are not bound to
 * the transaction on purpose: each bound model adds a commit and a rollback
 * listener to it, and with tens of thousands of models the commit alone took
 * seconds (7 s for an import of 10,000 invoices). Once committed, a bound
 * model is unbound anyway; inside the transaction, pass `{ client: trx }`
 * explicitly to write through one.
 */
export function modelsFromRows<Model extends LucidModel>(
  model: Model,
  rows: ModelObject[]
): InstanceType<Model>[] {
  return model.$createMultipleFromAdapterResult(rows)
}
