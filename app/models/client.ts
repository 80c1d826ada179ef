import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import User, { type Locale } from '#models/user'
import Invoice from '#models/invoice'
import { Timestamps } from '#models/mixins/timestamps'

export type EmailStatus = 'ok' | 'bounced'

export default class Client extends compose(BaseModel, Timestamps) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare name: string

  @column()
  declare email: string

  /** The language relances and thank-yous are written in. */
  @column()
  declare locale: Locale

  /** Late-payment terms are stated to businesses only, never to consumers. */
  @column()
  declare isBusiness: boolean

  @column.date()
  declare remindersPausedUntil: DateTime | null

  /** `bounced`: the address refused mail for good; nothing goes to it until it changes. */
  @column()
  declare emailStatus: EmailStatus

  @column.dateTime()
  declare emailBouncedAt: DateTime | null

  get isBounced() {
    return this.emailStatus === 'bounced'
  }

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  @hasMany(() => Invoice)
  declare invoices: HasMany<typeof Invoice>
}
