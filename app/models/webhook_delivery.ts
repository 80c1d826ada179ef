import type { DateTime } from 'luxon'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { Timestamps } from '#models/mixins/timestamps'
import WebhookEndpoint, { type WebhookEventType } from '#models/webhook_endpoint'

export type WebhookDeliveryStatus = 'scheduled' | 'delivered' | 'failed'

/** One attempt as the deliveries list shows it. */
export type WebhookAttempt = {
  at: string
  /** The receiver's HTTP status, null when none came (refused, timeout, network). */
  statusCode: number | null
  error: string | null
  durationMs: number
  /** The start of the receiver's answer. */
  response: string | null
}

/**
 * One event for one endpoint: `scheduled` until an attempt gets a 2xx
 * (`delivered`) or the last one fails (`failed`). The row is the promise
 * of its job in queue `webhooks`.
 */
export default class WebhookDelivery extends compose(BaseModel, Timestamps) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare endpointId: number

  @column()
  declare eventType: WebhookEventType

  @column()
  declare messageId: string

  @column()
  declare payload: Record<string, unknown>

  @column()
  declare status: WebhookDeliveryStatus

  @column()
  declare attempts: number

  @column.dateTime()
  declare scheduledAt: DateTime

  @column.dateTime()
  declare leasedUntil: DateTime | null

  @column()
  declare lastStatusCode: number | null

  @column()
  declare lastError: string | null

  // pg would send a JS array as a PostgreSQL array, not as JSON
  @column({ prepare: (value: WebhookAttempt[]) => JSON.stringify(value) })
  declare attemptLog: WebhookAttempt[]

  @column.dateTime()
  declare deliveredAt: DateTime | null

  @belongsTo(() => WebhookEndpoint, { foreignKey: 'endpointId' })
  declare endpoint: BelongsTo<typeof WebhookEndpoint>

  get isScheduled() {
    return this.status === 'scheduled'
  }
}
