import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { errors as vineErrors } from '@vinejs/vine'
import env from '#start/env'
import Invoice, { type HoldReason, type InvoiceStatus } from '#models/invoice'
import CheckinTask, { type ClientSignal } from '#models/checkin_task'
import ActivityEvent from '#models/activity_event'
import type ClientNotice from '#models/client_notice'
import type RelanceEmail from '#models/relance_email'
import type User from '#models/user'
import sendClientNoticeJob, { clientNoticeJob } from '#jobs/send_client_notice_job'
import { placeHoldOnRow } from '#services/holds/invoice_holds'
import { createSignalCheckin } from '#services/checkins/checkin_scheduler'
import { recordWebhookEvent } from '#services/webhooks/webhook_events'
import { LOCK_PAGE_INVOICE_SQL } from '#services/client_page/client_page_sql'
import { calendarDayIn, sendingTimeOn } from '#support/business_calendar'
import { transactionQuery } from '#support/transaction_statements'

/**
 * What a client says on its page (APP_URL/client/<token>) about one of its
 * pending invoices: already paid, a promised date, a dispute. Each holds the
 * relances and reaches the freelancer: a check-in for a reported payment, a
 * notice for a promise or a dispute. The latest signal replaces an earlier
 * hold; a post repeated (a double click, a replay) records nothing new.
 */

/** `settled`: the invoice is no longer pending, nothing was recorded. */
export type SignalOutcome = 'recorded' | 'settled'

/** The page's email, with its user's zone. */
type PageEmail = Pick<RelanceEmail, 'userId' | 'clientId'> & { user: Pick<User, 'timezone'> }

/** The invoice a signal locks, with its client's name and address. */
type LockedInvoice = {
  id: number
  user_id: number
  number: string
  status: InvoiceStatus
  hold_reason: HoldReason | null
  held_at: Date | null
  hold_until: Date | null
  hold_note: string | null
  client_name: string
  client_email: string
}

/*
| A signal reads its invoice as a plain row and applies the model's rules
| to it (Invoice.isPending, Invoice.activeHold, placeHoldOnRow): a form
| hydrates no model, as the page itself.
*/

/**
 * The invoice of the page's client with this freelancer, locked for the
 * signal; any other invoice is a 404, as a missing one.
 */
async function lockInvoiceOfPage(
  email: PageEmail,
  invoiceId: number,
  trx: TransactionClientContract
) {
  const {
    rows: [invoice],
  } = await transactionQuery<LockedInvoice>(trx, LOCK_PAGE_INVOICE_SQL, [
    invoiceId,
    email.userId,
    email.clientId,
  ])
  if (!invoice) throw new lucidErrors.E_ROW_NOT_FOUND(Invoice)
  return invoice
}

/** The invoice's hold in force at `now`, by the model's rule. */
function activeHoldOf(invoice: LockedInvoice, now: DateTime) {
  return Invoice.activeHold(
    {
      holdReason: invoice.hold_reason,
      heldAt: invoice.held_at,
      holdUntil: invoice.hold_until,
      holdNote: invoice.hold_note,
    },
    now.toJSDate()
  )
}

/** A 422 on one field, as the validators report it: the page shows it beside the field. */
function refuse(field: string, rule: string, message: string): never {
  throw new vineErrors.E_VALIDATION_ERROR([{ field, rule, message }])
}

/** The user's calendar day of `now`, as a UTC date like the validators' (YYYY-MM-DD). */
function userToday(user: Pick<User, 'timezone'>, now: DateTime) {
  return calendarDayIn(user.timezone, now.toJSDate())
}

/** The payment-reported check-in still open for the invoice: scheduled, or sent and not expired. */
function openSignalCheckin(invoiceId: number, now: DateTime, trx: TransactionClientContract) {
  return CheckinTask.query({ client: trx })
    .where('invoice_id', invoiceId)
    .where('reason', 'payment_reported')
    .whereIn('status', ['scheduled', 'sent'])
    .where('expires_at', '>', now.toJSDate())
    .orderBy('id', 'desc')
    .first()
}

const sameSignal = (a: ClientSignal | null, b: ClientSignal) =>
  (a?.paidOn ?? null) === (b.paidOn ?? null) && (a?.note ?? null) === (b.note ?? null)

/**
 * "Already paid": the relances wait CLIENT_SIGNAL_HOLD_DAYS for the
 * freelancer, who gets a `payment_reported` check-in within a minute
 * (joining the digest of anything else due), its links working until the
 * hold ends. The payment date may not be in the future.
 */
export async function reportPayment(
  email: PageEmail,
  invoiceId: number,
  report: { paidOn?: DateTime | null; note?: string | null },
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
): Promise<SignalOutcome> {
  const invoice = await lockInvoiceOfPage(email, invoiceId, trx)
  if (!Invoice.isPending(invoice)) return 'settled'
  const paidOn = report.paidOn?.toISODate() ?? null
  if (paidOn && paidOn > userToday(email.user, now)) {
    refuse('paidOn', 'beforeOrEqual', 'The paidOn field must not be in the future')
  }
  const signal = { paidOn, note: report.note ?? null }

  const open =
    activeHoldOf(invoice, now)?.reason === 'payment_reported'
      ? await openSignalCheckin(invoice.id, now, trx)
      : null
  if (open) {
    // The freelancer already has (or is about to get) this question: one check-in
    if (sameSignal(open.signal, signal) || !open.isScheduled) return 'recorded'
    await open.useTransaction(trx).merge({ signal }).save()
    await trx
      .from(Invoice.table)
      .where('id', invoice.id)
      .update(Invoice.savedColumns({ holdNote: signal.note }))
  } else {
    const until = now.plus({ days: env.get('CLIENT_SIGNAL_HOLD_DAYS') })
    await placeHoldOnRow(
      invoice,
      { reason: 'payment_reported', until, note: signal.note },
      trx,
      now
    )
    await createSignalCheckin(
      invoice.id,
      { reason: 'payment_reported', signal, expiresAt: until },
      trx
    )
  }
  await ActivityEvent.record(
    {
      userId: invoice.user_id,
      invoiceId: invoice.id,
      type: 'client_reported_payment',
      label: `${invoice.client_name} says invoice ${invoice.number} is paid${paidOn ? ` (on ${paidOn})` : ''}: relances wait for your answer`,
      metadata: signal,
    },
    trx
  )
  await recordWebhookEvent('client.payment_reported', invoice.id, signal, trx)
  return 'recorded'
}

/**
 * A promised date, today to 60 days ahead: no relance until the day after
 * it, 09:00 user time; then they resume. The freelancer gets a notice.
 */
export async function promisePayment(
  email: PageEmail,
  invoiceId: number,
  promise: { promisedOn: DateTime },
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
): Promise<SignalOutcome> {
  const invoice = await lockInvoiceOfPage(email, invoiceId, trx)
  if (!Invoice.isPending(invoice)) return 'settled'
  const promisedOn = promise.promisedOn.toISODate()!
  const today = DateTime.fromISO(userToday(email.user, now))
  if (promise.promisedOn < today || promise.promisedOn > today.plus({ days: 60 })) {
    refuse(
      'promisedOn',
      'dateRange',
      `The promisedOn field must be a date between ${today.toISODate()} and ${today.plus({ days: 60 }).toISODate()}`
    )
  }
  const until = sendingTimeOn(promise.promisedOn.plus({ days: 1 }), email.user.timezone)
  const hold = activeHoldOf(invoice, now)
  if (hold?.reason === 'payment_promised' && hold.until?.getTime() === until.toMillis()) {
    return 'recorded'
  }

  await placeHoldOnRow(invoice, { reason: 'payment_promised', until, note: null }, trx, now)
  await ActivityEvent.record(
    {
      userId: invoice.user_id,
      invoiceId: invoice.id,
      type: 'payment_promised',
      label: `${invoice.client_name} promises to pay invoice ${invoice.number} on ${promisedOn}`,
      metadata: { promisedOn },
    },
    trx
  )
  await recordWebhookEvent('client.payment_promised', invoice.id, { promisedOn }, trx)
  await noticeFreelancer(invoice, email.user, 'promise', { promisedOn }, trx, now)
  return 'recorded'
}

/**
 * A dispute: the relances wait until the freelancer releases them; the
 * freelancer gets a notice quoting the message, Reply-To the client.
 */
export async function disputeInvoice(
  email: PageEmail,
  invoiceId: number,
  dispute: { message: string },
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
): Promise<SignalOutcome> {
  const invoice = await lockInvoiceOfPage(email, invoiceId, trx)
  if (!Invoice.isPending(invoice)) return 'settled'
  const hold = activeHoldOf(invoice, now)
  if (hold?.reason === 'disputed' && hold.note === dispute.message) return 'recorded'

  await placeHoldOnRow(
    invoice,
    { reason: 'disputed', until: null, note: dispute.message },
    trx,
    now
  )
  await ActivityEvent.record(
    {
      userId: invoice.user_id,
      invoiceId: invoice.id,
      type: 'invoice_disputed',
      label: `${invoice.client_name} disputes invoice ${invoice.number}: relances wait until you release them`,
      metadata: { message: dispute.message },
    },
    trx
  )
  await recordWebhookEvent('client.disputed', invoice.id, { message: dispute.message }, trx)
  await noticeFreelancer(
    invoice,
    email.user,
    'dispute',
    { message: dispute.message, clientEmail: invoice.client_email },
    trx,
    now
  )
  return 'recorded'
}

/**
 * Promises the freelancer one notice of this kind for the invoice today
 * (the user's calendar day): a second the same day adds nothing. Its job
 * is enqueued after commit. Returns whether a notice was promised.
 */
export async function noticeFreelancer(
  invoice: Pick<Invoice, 'id'>,
  user: Pick<User, 'timezone'>,
  kind: ClientNotice['kind'],
  details: ClientNotice['details'],
  trx: TransactionClientContract,
  now: DateTime
) {
  const { rows } = await trx.rawQuery(
    `INSERT INTO client_notices (invoice_id, kind, day, details, status, scheduled_at, created_at, updated_at)
     VALUES (?, ?, ?, ?::jsonb, 'scheduled', ?, ?, ?)
     ON CONFLICT (invoice_id, kind, day) DO NOTHING
     RETURNING id, invoice_id, scheduled_at`,
    [
      invoice.id,
      kind,
      userToday(user, now),
      JSON.stringify(details),
      now.toJSDate(),
      now.toJSDate(),
      now.toJSDate(),
    ]
  )
  sendClientNoticeJob.enqueueAfterCommit(
    trx,
    rows.map((row: { id: number; invoice_id: number; scheduled_at: Date }) =>
      clientNoticeJob({ id: row.id, invoiceId: row.invoice_id, scheduledAt: row.scheduled_at })
    )
  )
  return rows.length > 0
}
