import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Invoice from '#models/invoice'
import type User from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import { recordActivity } from '#services/activity_log'
import { findOrCreateClient } from '#services/client_directory'
import { cancelCheckinForInvoice, scheduleCheckinForInvoice } from '#services/checkin_scheduler'
import { cancelFutureRelances, scheduleRelancesForInvoice } from '#services/relance_scheduler'

export type NewInvoice = {
  number: string
  clientName: string
  clientEmail: string
  amountCents: number
  currency?: string
  issuedAt?: DateTime
  dueDate: DateTime
}

export type InvoiceChanges = {
  number?: string
  amountCents?: number
  currency?: string
  issuedAt?: DateTime | null
  dueDate?: DateTime
}

async function assertNumberIsFree(
  userId: number,
  number: string,
  trx: TransactionClientContract,
  exceptId?: number
) {
  const taken = await Invoice.query({ client: trx })
    .where('user_id', userId)
    .where('number', number)
    .if(exceptId, (query) => query.whereNot('id', exceptId!))
    .first()
  if (taken) throw new ConflictException(`Invoice number ${number} already exists`)
}

/**
 * Schedules what follows a pending invoice: its check-in and its relances.
 */
async function scheduleFollowUps(invoice: Invoice, user: User, trx: TransactionClientContract) {
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

export async function createInvoice(
  user: User,
  details: NewInvoice,
  trx: TransactionClientContract
) {
  await assertNumberIsFree(user.id, details.number, trx)
  const client = await findOrCreateClient(
    user.id,
    { name: details.clientName, email: details.clientEmail },
    trx
  )
  const invoice = await Invoice.create(
    {
      userId: user.id,
      clientId: client.id,
      number: details.number,
      amountCents: details.amountCents,
      currency: details.currency ?? 'EUR',
      issuedAt: details.issuedAt ?? null,
      dueDate: details.dueDate,
      status: 'pending',
    },
    { client: trx }
  )
  await recordActivity(
    {
      userId: user.id,
      invoiceId: invoice.id,
      type: 'invoice_created',
      label: `Invoice ${invoice.number} created for ${client.name}`,
    },
    trx
  )
  await scheduleFollowUps(invoice, user, trx)
  return invoice
}

/**
 * Loads the user's invoice locked for update; another user's is a 404.
 */
export function findInvoiceForUpdate(
  userId: number,
  invoiceId: number,
  trx: TransactionClientContract
) {
  return Invoice.query({ client: trx })
    .where('user_id', userId)
    .where('id', invoiceId)
    .forUpdate()
    .firstOrFail()
}

export async function updateInvoice(
  user: User,
  invoice: Invoice,
  changes: InvoiceChanges,
  trx: TransactionClientContract
) {
  if (changes.number !== undefined && changes.number !== invoice.number) {
    await assertNumberIsFree(user.id, changes.number, trx, invoice.id)
  }
  const dueDateChanged =
    changes.dueDate !== undefined && changes.dueDate.toISODate() !== invoice.dueDate.toISODate()
  invoice.useTransaction(trx)
  await invoice.merge(changes).save()
  if (dueDateChanged && invoice.status === 'pending') {
    await scheduleFollowUps(invoice, user, trx)
  }
  return invoice
}

export async function cancelInvoice(invoice: Invoice, trx: TransactionClientContract) {
  if (invoice.status === 'cancelled') return invoice
  if (invoice.status === 'paid') throw new ConflictException('A paid invoice cannot be cancelled')
  invoice.useTransaction(trx)
  await invoice.merge({ status: 'cancelled' }).save()
  await recordActivity(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'invoice_cancelled',
      label: `Invoice ${invoice.number} cancelled`,
    },
    trx
  )
  await cancelCheckinForInvoice(invoice.id, trx)
  await cancelFutureRelances(invoice.id, trx)
  return invoice
}
