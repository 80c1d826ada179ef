import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import env from '#start/env'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { invoicePayload, postInvoice } from '#tests/helpers/invoice_requests'
import { resetState, rowsAndJobs } from '#tests/helpers/state'

/** `count` valid import rows, numbered from `from`. */
const importRows = (count: number, from = 1) =>
  Array.from({ length: count }, (_, index) =>
    invoicePayload({ number: `Q-${from + index}`, clientEmail: `q-${from + index}@acme.test` })
  )

/** Invoices of `user` posted by number, each answered 201; their ids, in order. */
async function createdInvoices(client: ApiClient, user: User, numbers: string[]) {
  const ids: number[] = []
  for (const number of numbers) {
    const response = await postInvoice(client, user, { number })
    response.assertStatus(201)
    ids.push(response.body().data.id)
  }
  return ids
}

/** `prefix`-1 … `prefix`-`count`: the numbers of as many invoices. */
const numbered = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`)

test.group('Account quotas', (group) => {
  group.each.setup(() => resetState())

  test('an unverified account holds at most MAX_INVOICES_UNVERIFIED invoices: the next is a 403 that creates nothing', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.apply('unverified').create()
    const limit = env.get('MAX_INVOICES_UNVERIFIED')
    await createdInvoices(client, user, numbered('U', limit))
    const before = await rowsAndJobs()

    const refused = await postInvoice(client, user, { number: 'U-over' })

    const [error] = assertErrorBody(assert, refused, 403)
    assert.include(error.message, `at most ${limit} invoices`)
    assert.include(error.message, 'verify your email address')
    assert.deepEqual(await rowsAndJobs(), before)
  })

  test('an unverified account imports at most that many rows; a draft that would pass it does not validate', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.apply('unverified').create()
    const limit = env.get('MAX_INVOICES_UNVERIFIED')
    const before = await rowsAndJobs()

    const tooMany = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: importRows(limit + 1) })
    assert.include(assertErrorBody(assert, tooMany, 403)[0].message, `at most ${limit} rows`)
    assert.deepEqual(await rowsAndJobs(), before)

    // Two drafts within the limit each, past it together
    const first = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: importRows(limit) })
    const second = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: importRows(1, limit + 1) })
    first.assertStatus(201)
    second.assertStatus(201)
    const validated = await client
      .post(`/api/v1/import-batches/${first.body().data.id}/validate`)
      .loginAs(user)
    validated.assertStatus(200)
    const afterFirst = await rowsAndJobs()

    const refused = await client
      .post(`/api/v1/import-batches/${second.body().data.id}/validate`)
      .loginAs(user)
    assertErrorBody(assert, refused, 403)
    assert.deepEqual(await rowsAndJobs(), afterFirst)
  })

  test('every account has a cap on pending invoices and on the emails waiting for it', async ({
    client,
    assert,
    cleanup,
  }) => {
    const caps = {
      pending: env.get('MAX_PENDING_INVOICES_PER_USER'),
      emails: env.get('MAX_SCHEDULED_EMAILS_PER_USER'),
    }
    cleanup(() => {
      env.set('MAX_PENDING_INVOICES_PER_USER', caps.pending)
      env.set('MAX_SCHEDULED_EMAILS_PER_USER', caps.emails)
    })
    const user = await UserFactory.create()
    env.set('MAX_PENDING_INVOICES_PER_USER', 2)
    const [firstId] = await createdInvoices(client, user, ['P-1', 'P-2'])
    const before = await rowsAndJobs()

    const pending = await postInvoice(client, user, { number: 'P-3' })
    assert.include(assertErrorBody(assert, pending, 403)[0].message, 'at most 2 pending invoices')
    assert.deepEqual(await rowsAndJobs(), before)
    // Paying one makes room
    const paid = await client.post(`/api/v1/invoices/${firstId}/mark-paid`).loginAs(user)
    paid.assertStatus(200)
    await createdInvoices(client, user, ['P-3'])

    // A check-in and three relances an invoice: 2 pending invoices hold 8 emails
    env.set('MAX_PENDING_INVOICES_PER_USER', caps.pending)
    env.set('MAX_SCHEDULED_EMAILS_PER_USER', 11)
    const emails = await postInvoice(client, user, { number: 'P-4' })
    assert.include(assertErrorBody(assert, emails, 403)[0].message, 'at most 11 emails waiting')
    const overImport = await client
      .post('/api/v1/import-batches')
      .loginAs(user)
      .json({ rows: importRows(3) })
    overImport.assertStatus(201)
    const validate = await client
      .post(`/api/v1/import-batches/${overImport.body().data.id}/validate`)
      .loginAs(user)
    assertErrorBody(assert, validate, 403)
  })

  test('a paid invoice reopened counts against the cap on pending invoices: past it, a 403 that changes nothing', async ({
    client,
    assert,
    cleanup,
  }) => {
    const cap = env.get('MAX_PENDING_INVOICES_PER_USER')
    cleanup(() => env.set('MAX_PENDING_INVOICES_PER_USER', cap))
    env.set('MAX_PENDING_INVOICES_PER_USER', 2)
    const user = await UserFactory.create()
    const ids = await createdInvoices(client, user, ['R-1', 'R-2'])
    const paid = await client.post(`/api/v1/invoices/${ids[0]}/mark-paid`).loginAs(user)
    paid.assertStatus(200)
    await createdInvoices(client, user, ['R-3'])
    const before = await rowsAndJobs()

    const refused = await client.post(`/api/v1/invoices/${ids[0]}/reopen`).loginAs(user)

    assert.include(assertErrorBody(assert, refused, 403)[0].message, 'at most 2 pending invoices')
    assert.deepEqual(await rowsAndJobs(), before)
    // Room again once another is paid
    await client.post(`/api/v1/invoices/${ids[1]}/mark-paid`).loginAs(user)
    const reopened = await client.post(`/api/v1/invoices/${ids[0]}/reopen`).loginAs(user)
    reopened.assertStatus(200)
    assert.equal(reopened.body().data.status, 'pending')
  })

  test('an unverified account at its invoice limit may still reopen one of them', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.apply('unverified').create()
    const limit = env.get('MAX_INVOICES_UNVERIFIED')
    const ids = await createdInvoices(client, user, numbered('UR', limit))
    const paid = await client.post(`/api/v1/invoices/${ids[0]}/mark-paid`).loginAs(user)
    paid.assertStatus(200)

    const reopened = await client.post(`/api/v1/invoices/${ids[0]}/reopen`).loginAs(user)

    reopened.assertStatus(200)
    assert.equal(reopened.body().data.status, 'pending')
  })
})
