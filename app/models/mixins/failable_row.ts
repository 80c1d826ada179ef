import { column } from '@adonisjs/lucid/orm'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * A row whose email can fail for good (a relance, a thank-you): `failed`,
 * with the reason kept for the user to read.
 */
export function FailableRow<Model extends NormalizeConstructor<typeof BaseModel>>(
  superclass: Model
) {
  class WithFailableRow extends superclass {
    declare status: string

    @column()
    declare failureReason: string | null

    markFailed(reason: string, trx: TransactionClientContract) {
      this.status = 'failed'
      this.failureReason = reason
      return this.useTransaction(trx).save()
    }
  }
  return WithFailableRow
}
