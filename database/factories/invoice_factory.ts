import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import Invoice from '#models/invoice'
import { ClientFactory } from '#database/factories/client_factory'

/**
 * Bare invoice rows, without check-in or relances: tests that need the
 * scheduling go through the invoice services.
 */
export const InvoiceFactory = factory
  .define(Invoice, ({ faker }) => ({
    number: `F-${faker.string.alphanumeric(8).toUpperCase()}`,
    amountCents: faker.number.int({ min: 100, max: 5_000_000 }),
    currency: 'EUR',
    issuedAt: DateTime.utc().minus({ days: 30 }).startOf('day'),
    dueDate: DateTime.utc().plus({ days: 10 }).startOf('day'),
    status: 'pending' as const,
    paidAt: null,
    paidVia: null,
  }))
  .relation('customer', () => ClientFactory)
  .build()
