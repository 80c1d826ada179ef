import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice, { SIGNAL_HOLD_REASONS, type HoldReason, type InvoiceStatus } from '#models/invoice'
import { errors as vineErrors } from '@vinejs/vine'
import User from '#models/user'
import ActivityEvent from '#models/activity_event'
import ConflictException from '#exceptions/conflict_exception'
import { followHold } from '#services/checkins/checkin_scheduler'
import { resumeWaitingRelances } from '#services/relances/relance_scheduler'
import { afterHold } from '#support/business_calendar'
import { updateRowInTransaction } from '#support/transaction_statements'

/**
 * Holds: an invoice's relances wait without being cancelled. A relance
 * falling due during a hold moves, when its job runs, to the first weekday
 * 09:00 after the hold's end (app/services/relances/relance_waits.ts); a hold
 * without an end keeps them until it is lifted. Lifting a hold early sends
 * what came due at the next weekday 09:00, never in a burst.
 */

export type Hold = {
  reason: HoldReason
  /** Null: until lifted. */
  until: DateTime | null
  note?: string | null
}

const userTimezone = async (invoice: Invoice, trx: TransactionClientContract) => {
  const user = await User.query({ client: trx })
    .select('timezone')
    .where('id', invoice.userId)
    .firstOrFail()
  return user.timezone
}

/** What a hold changes on the invoice, in place of any earlier hold. */
function holdChanges(hold: Hold, now: DateTime) {
  return {
    holdReason: hold.reason,
    holdUntil: hold.until,
    heldAt: now,
    holdNote: hold.note ?? null,
  }
}

/**
 * Holds the relances of a pending invoice, locked by the caller, for any
 * reason (the freelancer's own, or a client's signal: the client's page,
 * inbound replies), in place of any earlier hold. The check-in waiting for
 * the due date or a relance goes; the next comes before the first relance
 * after the hold. A signal's hold is followed by its own check-in
 * (createSignalCheckin).
 */
export async function placeHold(
  invoice: Invoice,
  hold: Hold,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  await applyHold(invoice, hold, trx, () =>
    invoice.useTransaction(trx).merge(holdChanges(hold, now)).save()
  )
  return invoice
}

/**
 * placeHold on the invoice's plain row, locked by the caller, with the same
 * changes written by one UPDATE: the client's page, which hydrates no model.
 */
export function placeHoldOnRow(
  locked: { id: number; status: InvoiceStatus },
  hold: Hold,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  return applyHold(locked, hold, trx, () =>
    updateRowInTransaction(
      trx,
      Invoice.table,
      locked.id,
      Invoice.savedColumns(holdChanges(hold, now))
    )
  )
}

/** placeHold's rules around the write of its changes, on a model or a row. */
async function applyHold(
  invoice: { id: number; status: InvoiceStatus },
  hold: Hold,
  trx: TransactionClientContract,
  write: () => Promise<unknown>
) {
  if (!Invoice.isPending(invoice)) throw new ConflictException('Only a pending invoice can be held')
  await write()
  if (!(SIGNAL_HOLD_REASONS as readonly string[]).includes(hold.reason)) {
    await followHold(invoice.id, trx)
  }
}

/**
 * Lifts the invoice's hold (locked by the caller), in force or lapsed: what
 * came due meanwhile, and what the hold moved to its end, goes at the next
 * weekday 09:00 in one email per client; the check-in before the next
 * relance is scheduled again.
 */
export async function liftHold(
  invoice: Invoice,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  const { holdUntil, heldAt } = invoice
  await clearHold(invoice, trx)
  if (!invoice.isPending) return invoice
  const timezone = await userTimezone(invoice, trx)
  await resumeWaitingRelances([invoice.id], timezone, trx, {
    now,
    movedBy:
      holdUntil && heldAt
        ? { to: afterHold(heldAt, holdUntil, timezone), since: heldAt }
        : undefined,
  })
  await followHold(invoice.id, trx)
  return invoice
}

/** No hold: merged by a payment, a cancellation and a reopening, which end any hold. */
export const NO_HOLD = { holdReason: null, holdUntil: null, heldAt: null, holdNote: null } as const

function clearHold(invoice: Invoice, trx: TransactionClientContract) {
  return invoice.useTransaction(trx).merge(NO_HOLD).save()
}

/**
 * The freelancer holds an invoice's relances (`POST /invoices/:id/hold`):
 * through the calendar day `until` in the user's zone (relances resume the
 * first weekday 09:00 after it), or until released.
 */
export async function holdInvoice(
  user: Pick<User, 'timezone'>,
  invoice: Invoice,
  request: { until?: DateTime; note?: string },
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  const until = request.until
    ? DateTime.fromObject(
        { year: request.until.year, month: request.until.month, day: request.until.day },
        { zone: user.timezone }
      ).plus({ days: 1 })
    : null
  if (until && until <= now) {
    throw new vineErrors.E_VALIDATION_ERROR([
      { field: 'until', rule: 'afterOrEqual', message: 'The until field must be today or later' },
    ])
  }
  await placeHold(invoice, { reason: 'manual', until, note: request.note ?? null }, trx, now)
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'invoice_held',
      label: until
        ? `Relances of invoice ${invoice.number} held through ${request.until!.toISODate()}`
        : `Relances of invoice ${invoice.number} held until released`,
      metadata: { reason: 'manual', until: until?.toISO() ?? null },
    },
    trx
  )
  return invoice
}

/**
 * The freelancer releases a held invoice (`POST /invoices/:id/release`):
 * a 409 when nothing holds it.
 */
export async function releaseInvoice(
  invoice: Invoice,
  trx: TransactionClientContract,
  now: DateTime = DateTime.now()
) {
  const hold = invoice.activeHold(now)
  if (!hold) throw new ConflictException('This invoice is not held')
  await liftHold(invoice, trx, now)
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'hold_released',
      label: `Relances of invoice ${invoice.number} resume: hold released`,
      metadata: { reason: hold.reason },
    },
    trx
  )
  return invoice
}
