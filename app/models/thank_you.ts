import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type Invoice from '#models/invoice'
import { FailableRow } from '#models/mixins/failable_row'
import { ScheduledRow } from '#models/mixins/scheduled_row'
import { Timestamps } from '#models/mixins/timestamps'

export type ThankYouStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

/**
 * The thank-you a payment promises the client: one row per payment (unique
 * invoice and paid_at), so its job is rebuilt from it and never goes twice.
 */
export default class ThankYou extends compose(BaseModel, Timestamps, ScheduledRow, FailableRow) {
  @column({ isPrimary: true })
  declare id: number

  @column.dateTime()
  declare paidAt: DateTime

  @column()
  declare status: ThankYouStatus

  /** Still the payment it thanks for: a reopened (or re-paid) invoice is another story. */
  thanksFor(invoice: Pick<Invoice, 'status' | 'paidAt'>) {
    return invoice.status === 'paid' && invoice.paidAt?.toMillis() === this.paidAt.toMillis()
  }
}
