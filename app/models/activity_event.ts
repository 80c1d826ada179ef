import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Invoice from '#models/invoice'

export type ActivityType =
  | 'invoice_created'
  | 'invoice_paid'
  | 'invoice_cancelled'
  | 'checkin_sent'
  | 'checkin_answered'
  | 'relance_sent'
  | 'relance_failed'
  | 'import_validated'

export default class ActivityEvent extends BaseModel {
  // bigserial comes back from pg as a string
  @column({ isPrimary: true, consume: (value: string | number) => Number(value) })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare invoiceId: number | null

  @column()
  declare type: ActivityType

  @column()
  declare label: string

  @column()
  declare metadata: Record<string, unknown>

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => Invoice)
  declare invoice: BelongsTo<typeof Invoice>
}
