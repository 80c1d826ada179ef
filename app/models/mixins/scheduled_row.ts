import { DateTime } from 'luxon'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * The rules of a row that promises one email (a check-in task, a relance):
 * `scheduled` until its email goes out, then `sent`.
 */
export function ScheduledRow<Model extends NormalizeConstructor<typeof BaseModel>>(
  superclass: Model
) {
  class WithScheduledRow extends superclass {
    declare status: string
    declare sentAt: DateTime | null

    get isScheduled() {
      return this.status === 'scheduled'
    }

    markSent(trx: TransactionClientContract) {
      this.status = 'sent'
      this.sentAt = DateTime.now()
      return this.useTransaction(trx).save()
    }
  }
  return WithScheduledRow
}
