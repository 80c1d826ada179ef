import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { Locale } from '#models/user'
import { Timestamps } from '#models/mixins/timestamps'

/** A user's own subject and body for one relance step in one language. */
export default class RelanceTemplate extends compose(BaseModel, Timestamps) {
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
}

export type RelancePlaceholder = (typeof RelanceTemplate.PLACEHOLDERS)[number]
