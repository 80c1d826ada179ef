import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { compose } from '@adonisjs/core/helpers'
import Invoice from '#models/invoice'
import { ScheduledRow } from '#models/mixins/scheduled_row'

export type ThankYouStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

/**
 * The thank-you a payment promises the client: one row per payment (unique
 * invoice and paid_at), so its job is rebuilt from it and never goes twice.
 */
export default class ThankYou extends compose(BaseModel, ScheduledRow) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare invoiceId: number

  @column.dateTime()
  declare paidAt: DateTime

  @column()
  declare status: ThankYouStatus

  @column.dateTime()
  declare scheduledAt: DateTime

  @column.dateTime()
  declare sentAt: DateTime | null

  @column()
  declare failureReason: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Invoice)
  declare invoice: BelongsTo<typeof Invoice>

  /** Still the payment it thanks for: a reopened (or re-paid) invoice is another story. */
  thanksFor(invoice: Pick<Invoice, 'status' | 'paidAt'>) {
    return invoice.status === 'paid' && invoice.paidAt?.toMillis() === this.paidAt.toMillis()
  }

  markFailed(reason: string, trx: TransactionClientContract) {
    this.status = 'failed'
    this.failureReason = reason
    return this.useTransaction(trx).save()
  }
}
