import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import { FailableRow } from '#models/mixins/failable_row'
import { ScheduledRow } from '#models/mixins/scheduled_row'
import { Timestamps } from '#models/mixins/timestamps'
import type { QuotedReply } from '#models/checkin_task'
import type { BounceCause } from '#inbound/delivery_reports'

export type ClientNoticeKind = 'promise' | 'dispute' | 'reply' | 'bounce'
export type ClientNoticeStatus = 'scheduled' | 'sent' | 'cancelled' | 'failed'

/**
 * What a client's promise or dispute tells the freelancer, or what came
 * back from its address (a reply about invoices already settled, a
 * bounce): one email per invoice, kind and day (the user's calendar day,
 * unique in the database), its job rebuilt from this row.
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

  /**
   * The promised date; the dispute's message and the client's address; the
   * reply quoted; the address that bounced, its status code, why, and the
   * invoices of the email.
   */
  @column()
  declare details: {
    promisedOn?: string
    message?: string
    clientEmail?: string
    reply?: QuotedReply
    address?: string
    status?: string | null
    cause?: BounceCause
    invoiceNumbers?: string[]
  }

  /** A promise or a dispute is about a pending invoice; a reply or a bounce is news either way. */
  get wantsPendingInvoice() {
    return this.kind === 'promise' || this.kind === 'dispute'
  }

  @column()
  declare status: ClientNoticeStatus
}
