import vine from '@vinejs/vine'
import {
  dateWithinDays,
  amountCents,
  calendarDate,
  currency,
  dueDate,
  email,
  invoiceNumber,
  page,
  perPage,
  personName,
  plainText,
} from '#validators/rules'

export const invoiceStatuses = ['pending', 'paid', 'cancelled'] as const

export const listInvoicesValidator = vine.create({
  status: vine.enum(invoiceStatuses).optional(),
  page: page(),
  perPage: perPage(),
})

/** `POST /invoices`, and each row of an import (app/validators/import_batch.ts). */
export const createInvoiceValidator = vine.create({
  number: invoiceNumber(),
  clientName: personName(),
  clientEmail: email(),
  amountCents: amountCents(),
  currency: currency().optional(),
  issuedAt: calendarDate().optional(),
  dueDate: dueDate(),
})

export const updateInvoiceValidator = vine.create({
  number: invoiceNumber().optional(),
  amountCents: amountCents().optional(),
  currency: currency().optional(),
  issuedAt: calendarDate().nullable().optional(),
  dueDate: dueDate().optional(),
})

/** `POST /invoices/:id/hold`: through a calendar day (today to a year ahead), or until released. */
export const holdInvoiceValidator = vine.create({
  until: dateWithinDays(-1, 366).optional(),
  note: plainText(500).optional(),
})
