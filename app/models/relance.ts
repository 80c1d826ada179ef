import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import { FailableRow } from '#models/mixins/failable_row'
import { ScheduledRow } from '#models/mixins/scheduled_row'
import { Timestamps } from '#models/mixins/timestamps'

export type RelanceStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

export default class Relance extends compose(BaseModel, Timestamps, ScheduledRow, FailableRow) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare sequence: number

  @column()
  declare status: RelanceStatus

  /** The email that carried it, once sent (one email may carry several relances). */
  @column()
  declare emailId: number | null
}
