import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import User from '#models/user'
import type Client from '#models/client'
import ActivityEvent from '#models/activity_event'
import { cancelScheduledRows } from '#support/scheduled_rows'
import {
  CHECKIN_ROWS,
  rescheduleCheckinsBeforeRelance,
  scheduleCheckinsBeforeNextRelance,
  scheduleCheckinForInvoice,
  scheduleCheckinsForInvoices,
} from '#services/checkins/checkin_scheduler'
import {
  RELANCE_ROWS,
  resumeCancelledRelances,
  resumeWaitingRelances,
  scheduleRelancesForInvoice,
  scheduleRelancesForNewInvoices,
} from '#services/relances/relance_scheduler'

/**
 * What follows a pending invoice — its check-in and its relances — in one
 * place, called by the invoice operations and by the payment alike, so
 * dependencies run one way: use cases → follow-ups → schedulers.
 */

/**
 * The follow-ups of new invoices, each with its client, its due date a
 * calendar day (YYYY-MM-DD): one INSERT per kind.
 */
export async function scheduleFollowUpsForNewInvoices(
  invoices: { id: number; dueDate: string; client: Pick<Client, 'remindersPausedUntil'> }[],
  user: User,
  trx: TransactionClientContract
) {
  await scheduleCheckinsForInvoices(invoices, user.timezone, trx)
  await scheduleRelancesForNewInvoices(
    invoices.map((invoice) => ({
      id: invoice.id,
      dueDate: invoice.dueDate,
      pausedUntil: invoice.client.remindersPausedUntil,
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

/**
 * The client's address works again (a new one, or the freelancer says so):
 * what came due while it bounced goes at the next weekday 09:00, one email,
 * and the check-ins before the next relances come back.
 */
export async function followClientAddressRestored(client: Client, trx: TransactionClientContract) {
  const pending: { id: number }[] = await trx
    .from('invoices')
    .select('id')
    .where('client_id', client.id)
    .where('status', 'pending')
  const invoiceIds = pending.map(({ id }) => id)
  const user = await User.query({ client: trx })
    .select('timezone')
    .where('id', client.userId)
    .firstOrFail()
  await resumeWaitingRelances(invoiceIds, user.timezone, trx)
  await scheduleCheckinsBeforeNextRelance(invoiceIds, trx)
  await ActivityEvent.record(
    {
      userId: client.userId,
      type: 'client_email_restored',
      label: `Relances to ${client.name} resume: its address ${client.email} is in use again`,
      metadata: { clientId: client.id },
    },
    trx
  )
}
