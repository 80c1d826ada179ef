import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { Locale } from '#models/user'

/** A user's own subject and body for one relance step in one language. */
export default class RelanceTemplate extends BaseModel {
  /** The values a template may name, as `{{name}}`. */
  static readonly PLACEHOLDERS = [
    'clientName',
    'invoiceNumber',
    'amount',
    'dueDate',
    'daysLate',
    'userName',
    'paymentInstructions',
    'latePaymentTerms',
  ] as const

  static readonly MAX_LENGTH = 5_000

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare sequence: number

  @column()
  declare locale: Locale

  @column()
  declare subject: string

  @column()
  declare body: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime
}

export type RelancePlaceholder = (typeof RelanceTemplate.PLACEHOLDERS)[number]
