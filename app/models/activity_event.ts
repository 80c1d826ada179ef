import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BaseModel, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import Invoice from '#models/invoice'
import { transactionQuery } from '#support/transaction_statements'

export type ActivityType =
  | 'invoice_created'
  | 'invoice_paid'
  | 'invoice_cancelled'
  | 'invoice_reopened'
  | 'checkin_sent'
  | 'checkin_answered'
  | 'relance_sent'
  | 'relance_failed'
  | 'relance_deferred'
  | 'thank_you_sent'
  | 'thank_you_skipped'
  | 'import_validated'
  | 'invoice_held'
  | 'hold_released'
  | 'client_reported_payment'
  | 'payment_promised'
  | 'invoice_disputed'
  | 'client_notice_sent'
  | 'client_email_restored'
  | 'client_replied'
  | 'client_auto_reply'
  | 'client_email_bounced'
  | 'client_email_delayed'
  | 'webhook_endpoint_disabled'

export type ActivityEntry = {
  userId: number
  invoiceId?: number | null
  type: ActivityType
  label: string
  metadata?: Record<string, unknown>
}

export default class ActivityEvent extends BaseModel {
  /**
   * Appends one event to the user's feed, inside the caller's transaction:
   * the row `ActivityEvent.create` would write, with one INSERT and no model
   * hydrated (every change of an invoice records an event).
   */
  static async record(entry: ActivityEntry, trx: TransactionClientContract): Promise<void> {
    await transactionQuery(
      trx,
      `INSERT INTO ${ActivityEvent.table} (user_id, invoice_id, type, label, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        entry.userId,
        entry.invoiceId ?? null,
        entry.type,
        entry.label,
        JSON.stringify(entry.metadata ?? {}),
        new Date(),
      ]
    )
  }

  // bigserial comes back from pg as a string
  @column({ isPrimary: true, consume: (value: string | number) => Number(value) })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare invoiceId: number | null

  @column()
  declare type: ActivityType

  @column()
  declare label: string

  @column()
  declare metadata: Record<string, unknown>

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => Invoice)
  declare invoice: BelongsTo<typeof Invoice>
}
