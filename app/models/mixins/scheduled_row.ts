import type { DateTime } from 'luxon'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'

/**
 * The rules of a row that promises one email (a check-in task, a relance):
 * `scheduled` until its email goes out, then `sent` (written by
 * app/support/scheduled_delivery.ts, with the event, in one statement).
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
  }
  return WithScheduledRow
}
