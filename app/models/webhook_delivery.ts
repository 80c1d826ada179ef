import type { DateTime } from 'luxon'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
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

  /** Static, on plain values too: an attempt reads its row without hydrating a model. */
  static isScheduled(delivery: { status: WebhookDeliveryStatus }) {
    return delivery.status === 'scheduled'
  }

  get isScheduled() {
    return WebhookDelivery.isScheduled(this)
  }

  /**
   * A 2xx came: the delivery, if still scheduled, is delivered with its
   * attempt appended to its log (in SQL: the log is not read back), and its
   * endpoint is no longer failing. One statement, atomic of itself, locking
   * the endpoint only when it was failing. Returns whether the row was
   * delivered (false: settled or deleted meanwhile).
   */
  static async recordDelivered(
    deliveryId: number,
    attempt: WebhookAttempt,
    client: QueryClientContract
  ): Promise<boolean> {
    const now = new Date()
    const { rows } = await client.rawQuery(
      `WITH delivered AS (
         UPDATE ${this.table}
            SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, leased_until = NULL,
                last_status_code = (?::jsonb ->> 'statusCode')::int, last_error = NULL,
                attempt_log = attempt_log || jsonb_build_array(?::jsonb),
                updated_at = ?
          WHERE id = ? AND status = 'scheduled'
      RETURNING endpoint_id
       ), recovered AS (
         UPDATE ${WebhookEndpoint.table} SET failing_since = NULL, updated_at = ?
          WHERE id IN (SELECT endpoint_id FROM delivered) AND failing_since IS NOT NULL
       )
       SELECT count(*)::int AS delivered FROM delivered`,
      [now, JSON.stringify(attempt), JSON.stringify(attempt), now, deliveryId, now]
    )
    return rows[0].delivered === 1
  }
}
