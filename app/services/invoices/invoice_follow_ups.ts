import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { cancelScheduledRows } from '#support/scheduled_rows'
import {
  CHECKIN_ROWS,
  rescheduleCheckinsBeforeRelance,
  scheduleCheckinForInvoice,
  scheduleCheckinsForInvoices,
} from '#services/checkins/checkin_scheduler'
import {
  RELANCE_ROWS,
  resumeCancelledRelances,
  scheduleRelancesForInvoice,
  scheduleRelancesForNewInvoices,
} from '#services/relances/relance_scheduler'

/**
 * What follows a pending invoice — its check-in and its relances — in one
 * place, called by the invoice operations and by the payment alike, so
 * dependencies run one way: use cases → follow-ups → schedulers.
 */

/** The follow-ups of new invoices, each with its `customer` loaded: one INSERT per kind. */
export async function scheduleFollowUpsForNewInvoices(
  invoices: Invoice[],
  user: User,
  trx: TransactionClientContract
) {
  await scheduleCheckinsForInvoices(invoices, user.timezone, trx)
  await scheduleRelancesForNewInvoices(
    invoices.map((invoice) => ({
      id: invoice.id,
      dueDate: invoice.dueDate,
      pausedUntil: invoice.customer.remindersPausedUntil,
    })),
    { offsets: user.relanceOffsets, timezone: user.timezone },
    trx
  )
}

/** Moves an invoice's follow-ups to its new due date. */
export async function rescheduleFollowUps(
  invoice: Invoice,
  user: User,
  trx: TransactionClientContract
) {
  await invoice.load('customer')
  await scheduleCheckinForInvoice(invoice, user.timezone, trx)
  await scheduleRelancesForInvoice(
    invoice,
    {
      offsets: user.relanceOffsets,
      timezone: user.timezone,
      pausedUntil: invoice.customer.remindersPausedUntil,
    },
    trx
  )
}

/**
 * Stops what follows an invoice that is no longer pending: its waiting
 * check-in and relances, in the transaction, with one statement; their
 * jobs go after commit.
 */
export async function cancelFollowUps(invoiceId: number, trx: TransactionClientContract) {
  await cancelScheduledRows([CHECKIN_ROWS, RELANCE_ROWS], [invoiceId], trx)
}

/**
 * Brings back what follows an invoice reopened after a payment: the
 * relances the payment cancelled whose time is still ahead, and a check-in
 * as for a new invoice.
 */
export async function resumeFollowUps(
  invoice: Invoice,
  user: User,
  trx: TransactionClientContract
) {
  await resumeCancelledRelances(invoice.id, trx)
  await scheduleCheckinForInvoice(invoice, user.timezone, trx)
}

/**
 * A client's pause moves its relances when they fire: the waiting
 * check-ins before them move with them now.
 */
export async function followClientPause(clientId: number, trx: TransactionClientContract) {
  const pending: { id: number }[] = await trx
    .from('invoices')
    .select('id')
    .where('client_id', clientId)
    .where('status', 'pending')
  await rescheduleCheckinsBeforeRelance(
    pending.map(({ id }) => id),
    trx
  )
}
