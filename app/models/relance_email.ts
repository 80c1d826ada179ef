import { DateTime, Duration } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import User from '#models/user'
import Client from '#models/client'

/**
 * One relance email as it left (one per client and day, however many
 * relances it carried): the client's page link it holds, of which only the
 * SHA-256 is kept, and what replies and bounces come back with.
 */
export default class RelanceEmail extends BaseModel {
  /** The client's page link works for this long after the email was sent. */
  static readonly LINK_TTL = { days: 60 }

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare clientId: number

  @column({ serializeAs: null })
  declare linkTokenHash: string

  @column({ serializeAs: null })
  declare replyTokenHash: string | null

  @column()
  declare messageId: string | null

  @column.dateTime()
  declare sentAt: DateTime

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  @belongsTo(() => Client)
  declare customer: BelongsTo<typeof Client>

  /** LINK_TTL in milliseconds (days of 24 hours): no luxon per page view. */
  static readonly #LINK_TTL_MS = Duration.fromObject(RelanceEmail.LINK_TTL).toMillis()

  /** Whether the page link no longer works at `now`. Static, on plain values: the page reads its row without a model. */
  static linkExpired(email: { sentAt: Date }, now: Date) {
    return now.getTime() > email.sentAt.getTime() + RelanceEmail.#LINK_TTL_MS
  }
}
