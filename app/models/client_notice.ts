import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import { FailableRow } from '#models/mixins/failable_row'
import { ScheduledRow } from '#models/mixins/scheduled_row'
import { Timestamps } from '#models/mixins/timestamps'

export type ClientNoticeKind = 'promise' | 'dispute'
export type ClientNoticeStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

/**
 * What a client's promise or dispute tells the freelancer: one email per
 * invoice, kind and day (the user's calendar day, unique in the database),
 * its job rebuilt from this row.
 */
export default class ClientNotice extends compose(
  BaseModel,
  Timestamps,
  ScheduledRow,
  FailableRow
) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare kind: ClientNoticeKind

  @column.date()
  declare day: DateTime

  /** The promised date, or the dispute's message and the client's address. */
  @column()
  declare details: { promisedOn?: string; message?: string; clientEmail?: string }

  @column()
  declare status: ClientNoticeStatus
}
