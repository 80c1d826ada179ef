import { DateTime, Duration } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import { ScheduledRow } from '#models/mixins/scheduled_row'
import { Timestamps } from '#models/mixins/timestamps'
import { transactionQuery } from '#support/transaction_statements'

export type CheckinStatus = 'scheduled' | 'sent' | 'answered' | 'cancelled'
export type CheckinAnswer = 'paid' | 'still_pending'

/**
 * Why the freelancer is asked: the due date, the weekday before a later
 * relance, or a client's signal (a reported payment, a reply).
 */
export type CheckinReason = 'due' | 'before_relance' | 'payment_reported' | 'client_replied'

/**
 * A client's reply as the freelancer reads it, quoted as plain text: what
 * its headers say (a `From` may be forged: it is shown, never trusted), its
 * own text without the quoted history, the names of its attachments.
 */
export type QuotedReply = {
  /** The inbound_messages row: one quote per reply, however many invoices it is about. */
  messageId: number
  from: string
  /** ISO 8601, or null when the Date header is missing or unreadable. */
  date: string | null
  subject: string
  text: string
  /** The text was cut at its limit. */
  truncated: boolean
  attachments: string[]
}

/**
 * What the client said, carried by a signal's check-in to its email: the
 * payment date and note of a report, or (inbound mail) the reply quoted.
 */
export type ClientSignal = {
  paidOn?: string | null
  note?: string | null
  reply?: QuotedReply
  [detail: string]: unknown
}

export default class CheckinTask extends compose(BaseModel, Timestamps, ScheduledRow) {
  /** The links of a check-in email work for this long after it was sent. */
  static readonly LINK_TTL = { hours: 24 }
  /** LINK_TTL in milliseconds (hours are exact): the click compares instants, with no luxon. */
  static readonly #LINK_TTL_MS = Duration.fromObject(CheckinTask.LINK_TTL).toMillis()

  @column({ isPrimary: true })
  declare id: number

  @column({ serializeAs: null })
  declare tokenHash: string

  @column()
  declare status: CheckinStatus

  @column()
  declare answer: CheckinAnswer | null

  /** The relance this check-in comes before; null for the check-in at the due date. */
  @column()
  declare beforeRelance: number | null

  @column()
  declare reason: CheckinReason

  @column()
  declare signal: ClientSignal | null

  /** Set for a signal's check-in: its links work until its hold ends. */
  @column.dateTime()
  declare expiresAt: DateTime | null

  @column.dateTime()
  declare answeredAt: DateTime | null

  /**
   * Only a sent, unanswered task has working links. Static, on plain
   * values: the click reads its row without hydrating a model.
   */
  static isAnswerable(task: { status: CheckinStatus; sentAt: Date | null }) {
    return task.status === 'sent' && task.sentAt !== null
  }

  /** Whether the task's links no longer work at `now`. */
  static linksExpired(task: { sentAt: Date | null; expiresAt: Date | null }, now: Date) {
    if (task.expiresAt) return now.getTime() > task.expiresAt.getTime()
    return task.sentAt !== null && now.getTime() > task.sentAt.getTime() + CheckinTask.#LINK_TTL_MS
  }

  /** Records the freelancer's answer on the task's row (locked by the caller). */
  static async recordAnswer(taskId: number, answer: CheckinAnswer, trx: TransactionClientContract) {
    const now = new Date()
    await transactionQuery(
      trx,
      `UPDATE ${this.table} SET status = 'answered', answer = $1, answered_at = $2, updated_at = $2
       WHERE id = $3`,
      [answer, now, taskId]
    )
  }
}
