import type { DateTime } from 'luxon'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import Invoice from '#models/invoice'

/**
 * The rules of a row that promises one email about an invoice (a check-in
 * task, a relance, a thank-you): `scheduled` until its email goes out, then
 * `sent` (written by app/support/scheduled_delivery.ts, with the event, in
 * one statement).
 */
export function ScheduledRow<Model extends NormalizeConstructor<typeof BaseModel>>(
  superclass: Model
) {
  class WithScheduledRow extends superclass {
    declare status: string

    @column()
    declare invoiceId: number

    @belongsTo(() => Invoice)
    declare invoice: BelongsTo<typeof Invoice>

    @column.dateTime()
    declare scheduledAt: DateTime

    @column.dateTime()
    declare sentAt: DateTime | null

    get isScheduled() {
      return this.status === 'scheduled'
    }
  }
  return WithScheduledRow
}
