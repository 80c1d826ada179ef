import { DateTime } from 'luxon'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'

/** The time zone every user has until they change it. */
export const DEFAULT_ZONE = 'Europe/Paris'

/** A calendar day `days` from today in the users' default zone. */
export function dueIn(days: number): string {
  return DateTime.now().setZone(DEFAULT_ZONE).plus({ days }).toISODate()!
}

/** A valid POST /api/v1/invoices body, with `overrides` on top. */
export function invoicePayload(overrides: Record<string, unknown> = {}) {
  return {
    number: 'F-2026-001',
    clientName: 'Acme',
    clientEmail: 'billing@acme.test',
    amountCents: 150_000,
    dueDate: dueIn(30),
    ...overrides,
  }
}

/** POST /api/v1/invoices as `user` with `invoicePayload(overrides)`; the caller checks the answer. */
export function postInvoice(
  client: ApiClient,
  user: User,
  overrides: Record<string, unknown> = {}
) {
  return client.post('/api/v1/invoices').loginAs(user).json(invoicePayload(overrides))
}

/** Creates an invoice the way the SPA does, so it gets its check-in and relances. */
export async function storeInvoice(
  client: ApiClient,
  user: User,
  overrides: Record<string, unknown> = {}
) {
  const response = await postInvoice(client, user, overrides)
  response.assertStatus(201)
  return response.body().data
}

/** A new user with one invoice stored through the API. */
export async function userWithInvoice(client: ApiClient, overrides: Record<string, unknown> = {}) {
  const user = await UserFactory.create()
  const invoice = await storeInvoice(client, user, overrides)
  return { user, invoice }
}

/** An invoice stored by its owner, and another user who must not reach it. */
export async function invoiceAndIntruder(client: ApiClient) {
  const owner = await UserFactory.create()
  const intruder = await UserFactory.create()
  const invoice = await storeInvoice(client, owner)
  return { owner, intruder, invoice }
}
