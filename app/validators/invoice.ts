import vine from '@vinejs/vine'
import {
  amountCents,
  calendarDate,
  currency,
  email,
  invoiceNumber,
  page,
  perPage,
  personName,
} from '#validators/rules'

export const invoiceStatuses = ['pending', 'paid', 'cancelled'] as const

export const listInvoicesValidator = vine.create({
  status: vine.enum(invoiceStatuses).optional(),
  page: page(),
  perPage: perPage(),
})

export const createInvoiceValidator = vine.create({
  number: invoiceNumber(),
  clientName: personName(),
  clientEmail: email(),
  amountCents: amountCents(),
  currency: currency().optional(),
  issuedAt: calendarDate().optional(),
  dueDate: calendarDate(),
})

export const updateInvoiceValidator = vine.create({
  number: invoiceNumber().optional(),
  amountCents: amountCents().optional(),
  currency: currency().optional(),
  issuedAt: calendarDate().nullable().optional(),
  dueDate: calendarDate().optional(),
})
