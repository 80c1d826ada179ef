import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { compose } from '@adonisjs/core/helpers'
import Invoice from '#models/invoice'
import { ScheduledRow } from '#models/mixins/scheduled_row'

export type RelanceStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

export default class Relance extends compose(BaseModel, ScheduledRow) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare invoiceId: number

  @column()
  declare sequence: number

  @column.dateTime()
  declare scheduledAt: DateTime

  @column()
  declare status: RelanceStatus

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

  markFailed(reason: string, trx: TransactionClientContract) {
    this.status = 'failed'
    this.failureReason = reason
    return this.useTransaction(trx).save()
  }
}
