import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Invoice from '#models/invoice'

export type CheckinStatus = 'scheduled' | 'sent' | 'answered' | 'cancelled'
export type CheckinAnswer = 'paid' | 'still_pending'

export default class CheckinTask extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare invoiceId: number

  @column({ serializeAs: null })
  declare tokenHash: string

  @column()
  declare status: CheckinStatus

  @column()
  declare answer: CheckinAnswer | null

  @column.dateTime()
  declare scheduledAt: DateTime

  @column.dateTime()
  declare sentAt: DateTime | null

  @column.dateTime()
  declare answeredAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => Invoice)
  declare invoice: BelongsTo<typeof Invoice>
}
