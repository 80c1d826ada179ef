import { DateTime } from 'luxon'
import { BaseModel, belongsTo, column, hasMany, hasOne } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { BelongsTo, HasMany, HasOne } from '@adonisjs/lucid/types/relations'
import type { ModelAttributes } from '@adonisjs/lucid/types/model'
import User from '#models/user'
import Client from '#models/client'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { Timestamps } from '#models/mixins/timestamps'

export type InvoiceStatus = 'pending' | 'paid' | 'cancelled'
export type PaidVia = 'manual' | 'checkin'

/** Why an invoice's relances wait: the freelancer's own hold, or what the client said or did. */
export type HoldReason =
  'manual' | 'payment_reported' | 'payment_promised' | 'disputed' | 'client_replied'

/** The holds a client's signal places: each comes with a check-in to the freelancer. */
export const SIGNAL_HOLD_REASONS = ['payment_reported', 'client_replied'] as const

/** A hold in force: `until` null means until lifted. */
export type ActiveHold = {
  reason: HoldReason
  since: DateTime
  until: DateTime | null
  note: string | null
}

/** An invoice's PDF: its Drive key, the name it was uploaded with, its size. */
export type InvoiceDocument = {
  path: string
  filename: string
  sizeBytes: number
  uploadedAt: DateTime
}

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

  @column()
  declare holdReason: HoldReason | null

  @column.dateTime()
  declare holdUntil: DateTime | null

  @column.dateTime()
  declare heldAt: DateTime | null

  @column()
  declare holdNote: string | null

  /** The Drive key of the invoice's PDF (documents/<user id>/<uuid>.pdf), never shown. */
  @column()
  declare documentPath: string | null

  @column()
  declare documentFilename: string | null

  @column()
  declare documentSizeBytes: number | null

  @column.dateTime()
  declare documentUploadedAt: DateTime | null

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

  /**
   * The columns saving these attribute changes writes, `updated_at`
   * included (Timestamps), dates as Date: for the paths that update the row
   * with one statement, without a model (the check-in click, the client's
   * page).
   */
  static savedColumns(changes: Partial<ModelAttributes<Invoice>>) {
    const columns: Record<string, unknown> = { updated_at: new Date() }
    for (const [attribute, value] of Object.entries(changes)) {
      columns[Invoice.$keys.attributesToColumns.resolve(attribute)] =
        value instanceof DateTime ? value.toJSDate() : value
    }
    return columns
  }

  /** Static, on plain values too: the check-in click reads its row without a model. */
  static isPending(invoice: { status: InvoiceStatus }) {
    return invoice.status === 'pending'
  }

  get isPending() {
    return Invoice.isPending(this)
  }

  /**
   * The hold in force at `now`, or null: a hold whose end has passed has
   * lapsed by itself (its relances went on at the first weekday 09:00 after).
   * Static, on plain values too (Date, DateTime or epoch milliseconds): the
   * client's page and the invoice list read their rows without models.
   */
  static activeHold<Moment extends DateTime | Date | number>(
    invoice: {
      holdReason: HoldReason | null
      heldAt: Moment | null
      holdUntil: Moment | null
      holdNote: string | null
    },
    now: Moment
  ): { reason: HoldReason; since: Moment; until: Moment | null; note: string | null } | null {
    if (!invoice.holdReason || !invoice.heldAt) return null
    if (invoice.holdUntil && invoice.holdUntil.valueOf() <= now.valueOf()) return null
    return {
      reason: invoice.holdReason,
      since: invoice.heldAt,
      until: invoice.holdUntil,
      note: invoice.holdNote,
    }
  }

  activeHold(now: DateTime = DateTime.now()): ActiveHold | null {
    return Invoice.activeHold(this, now)
  }

  /** The invoice's PDF, when it has one: what the API shows, and where it is stored. */
  static documentOf<Moment extends DateTime | Date>(invoice: {
    number: string
    documentPath: string | null
    documentFilename: string | null
    documentSizeBytes: number | null
    documentUploadedAt: Moment | null
  }) {
    if (!invoice.documentPath || !invoice.documentUploadedAt) return null
    return {
      path: invoice.documentPath,
      filename: invoice.documentFilename ?? `${invoice.number}.pdf`,
      sizeBytes: invoice.documentSizeBytes ?? 0,
      uploadedAt: invoice.documentUploadedAt,
    }
  }

  get document(): InvoiceDocument | null {
    return Invoice.documentOf(this)
  }

  isHeld(now: DateTime = DateTime.now()) {
    return this.activeHold(now) !== null
  }

  /**
   * Calendar days from the due date to `today` (both YYYY-MM-DD, `today`
   * the user's calendar day); 0 before it. Static, on plain values.
   */
  static daysLateOn(dueDate: string, today: string) {
    const days = (Date.parse(today) - Date.parse(dueDate)) / 86_400_000
    return Math.max(0, Math.round(days))
  }

  /** Calendar days from the due date to `now`'s day in the zone; 0 before it. */
  daysLate(timezone: string, now: DateTime = DateTime.now()) {
    return Invoice.daysLateOn(this.dueDate.toISODate()!, now.setZone(timezone).toISODate()!)
  }
}
