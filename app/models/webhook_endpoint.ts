import type { DateTime } from 'luxon'
import { BaseModel, column, hasMany } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import encryption from '@adonisjs/core/services/encryption'
import { Timestamps } from '#models/mixins/timestamps'
import WebhookDelivery from '#models/webhook_delivery'

/**
 * Every event an endpoint may subscribe to. Each is about one invoice: its
 * `data` is the invoice as the API returns it, plus the event's own fields
 * (app/services/webhooks/webhook_events.ts).
 */
export const WEBHOOK_EVENT_TYPES = [
  'invoice.paid',
  'invoice.reopened',
  'invoice.cancelled',
  'checkin.answered',
  'relance.sent',
  'relance.failed',
  'client.payment_reported',
  'client.payment_promised',
  'client.disputed',
  'client.replied',
  'client.email_bounced',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** Decrypted secrets by their encrypted value, at most this many at a time. */
const DECRYPTED_SECRETS_KEPT = 1_000
const decryptedSecrets = new Map<string, string>()

/** A URL of a user's that receives signed events (Standard Webhooks). */
export default class WebhookEndpoint extends compose(BaseModel, Timestamps) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare url: string

  @column()
  declare events: WebhookEventType[]

  /** Encrypted with APP_KEY: a copy of the database cannot sign events. */
  @column({ serializeAs: null })
  declare secret: string

  @column.dateTime()
  declare failingSince: DateTime | null

  @column.dateTime()
  declare disabledAt: DateTime | null

  @hasMany(() => WebhookDelivery, { foreignKey: 'endpointId' })
  declare deliveries: HasMany<typeof WebhookDelivery>

  /** The signing secret as the user was given it (`whsec_…`). */
  get signingSecret(): string {
    return WebhookEndpoint.signingSecretOf(this)
  }

  /**
   * The same, on plain values: an attempt reads its row without a model.
   * Decrypted once per stored value: a rotated or re-encrypted secret is
   * another value, so nothing stale is ever used.
   */
  static signingSecretOf(endpoint: { id: number; secret: string }): string {
    const known = decryptedSecrets.get(endpoint.secret)
    if (known !== undefined) return known
    const secret = encryption.decrypt<string>(endpoint.secret)
    if (typeof secret !== 'string')
      throw new Error(`webhook endpoint ${endpoint.id}: unreadable secret`)
    if (decryptedSecrets.size >= DECRYPTED_SECRETS_KEPT) decryptedSecrets.clear()
    decryptedSecrets.set(endpoint.secret, secret)
    return secret
  }

  static encryptSecret(secret: string) {
    return encryption.encrypt(secret)
  }
}
