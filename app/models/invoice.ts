import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column, hasMany, hasOne } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { BelongsTo, HasMany, HasOne } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Client from '#models/client'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { Timestamps } from '#models/mixins/timestamps'

export type InvoiceStatus = 'pending' | 'paid' | 'cancelled'
export type PaidVia = 'manual' | 'checkin'

export default class Invoice extends compose(BaseModel, Timestamps) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare clientId: number

  @column()
  declare importBatchId: number | null

  @column()
  declare number: string

  // bigint comes back from pg as a string; amounts stay far below 2^53 cents
  @column({ consume: (value: string | number) => Number(value) })
  declare amountCents: number

  @column()
  declare currency: string

  @column.date()
  declare issuedAt: DateTime | null

  @column.date()
  declare dueDate: DateTime

  @column()
  declare status: InvoiceStatus

  @column.dateTime()
  declare paidAt: DateTime | null

  @column()
  declare paidVia: PaidVia | null

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  /**
   * The client billed. Not named `client`: Lucid's relation types already
   * use that key, which breaks preloading invoices from other models.
   */
  @belongsTo(() => Client)
  declare customer: BelongsTo<typeof Client>

  /** The check-in shown with the invoice: preload it newest first. */
  @hasOne(() => CheckinTask)
  declare checkin: HasOne<typeof CheckinTask>

  @hasMany(() => Relance)
  declare relances: HasMany<typeof Relance>

  get isPending() {
    return this.status === 'pending'
  }

  /** Calendar days from the due date to `now`'s day in the zone; 0 before it. */
  daysLate(timezone: string, now: DateTime = DateTime.now()) {
    const today = now.setZone(timezone).startOf('day')
    const due = this.dueDate.setZone(timezone, { keepLocalTime: true })
    return Math.max(0, Math.floor(today.diff(due, 'days').days))
  }
}
