import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import { rescheduleFollowUps } from '#services/invoices/invoice_follow_ups'
import { assertNumberIsFree } from '#services/invoices/invoice_numbers'

export type InvoiceChanges = {
  number?: string
  amountCents?: number
  currency?: string
  issuedAt?: DateTime | null
  dueDate?: DateTime
}

/** Edits an invoice; a new due date moves its check-in and relances while it is pending. */
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
  await invoice.useTransaction(trx).merge(changes).save()
  if (dueDateChanged && invoice.isPending) {
    await rescheduleFollowUps(invoice, user, trx)
  }
  return invoice
}
