import { test } from '@japa/runner'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { ClientFactory } from '#database/factories/client_factory'
import sendRelanceJob from '#jobs/send_relance_job'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { dayFromToday, weekdayFromToday } from '#tests/helpers/calendar'

test.group('Clients', (group) => {
  group.each.setup(() => resetState())

  test('lists only the user clients, by name', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await ClientFactory.merge([
      { userId: user.id, name: 'Zeta' },
      { userId: user.id, name: 'Alpha' },
    ]).createMany(2)
    await ClientFactory.with('user').merge({ name: 'Someone else' }).create()

    const response = await client.get('/api/v1/clients').loginAs(user)

    response.assertStatus(200)
    assert.deepEqual(
      response.body().data.map((row: { name: string }) => row.name),
      ['Alpha', 'Zeta']
    )
    assert.equal(response.body().meta.total, 2)
    assert.sameMembers(Object.keys(response.body().data[0]), [
      'id',
      'name',
      'email',
      'locale',
      'isBusiness',
      'remindersPausedUntil',
      'emailStatus',
    ])
  })

  test('a new client speaks the user language; its language and business status can change', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.apply('english').create()
    const invoice = await createScheduledInvoice(user, { clientEmail: 'ops@acme.test' })

    const shown = await client.get(`/api/v1/clients/${invoice.clientId}`).loginAs(user)
    shown.assertBodyContains({ data: { locale: 'en', isBusiness: true } })

    const changed = await client
      .patch(`/api/v1/clients/${invoice.clientId}`)
      .json({ locale: 'fr', isBusiness: false })
      .loginAs(user)
    changed.assertStatus(200)
    changed.assertBodyContains({ data: { locale: 'fr', isBusiness: false } })
    for (const body of [{ locale: 'de' }, { isBusiness: 'yes' }]) {
      const refused = await client
        .patch(`/api/v1/clients/${invoice.clientId}`)
        .json(body)
        .loginAs(user)
      refused.assertStatus(422)
      assert.equal(refused.body().errors[0].field, Object.keys(body)[0])
    }
  })

  test('shows a client, and another user client is a 404', async ({ client }) => {
    const user = await UserFactory.create()
    const own = await ClientFactory.merge({ userId: user.id }).create()
    const foreign = await ClientFactory.with('user').create()

    const response = await client.get(`/api/v1/clients/${own.id}`).loginAs(user)
    response.assertStatus(200)
    response.assertBodyContains({ data: { id: own.id, email: own.email } })
    const hidden = await client.get(`/api/v1/clients/${foreign.id}`).loginAs(user)
    hidden.assertStatus(404)
  })

  test('pauses reminders until a date, and lifts the pause with null', async ({ client }) => {
    const user = await UserFactory.create()
    const own = await ClientFactory.merge({ userId: user.id }).create()

    const paused = await client
      .patch(`/api/v1/clients/${own.id}`)
      .json({ remindersPausedUntil: '2030-01-15', name: 'Acme Group' })
      .loginAs(user)
    paused.assertStatus(200)
    paused.assertBodyContains({ data: { name: 'Acme Group', remindersPausedUntil: '2030-01-15' } })

    const lifted = await client
      .patch(`/api/v1/clients/${own.id}`)
      .json({ remindersPausedUntil: null })
      .loginAs(user)
    lifted.assertBodyContains({ data: { remindersPausedUntil: null } })
  })

  test('refuses an email another client of the user already has', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const [first, second] = await ClientFactory.merge([
      { userId: user.id, email: 'one@acme.test' },
      { userId: user.id, email: 'two@acme.test' },
    ]).createMany(2)

    const response = await client
      .patch(`/api/v1/clients/${second.id}`)
      .json({ email: 'ONE@acme.test' })
      .loginAs(user)

    response.assertStatus(409)
    await first.refresh()
    await second.refresh()
    assert.deepEqual([first.email, second.email], ['one@acme.test', 'two@acme.test'])
  })

  test('rejects a malformed client update with field errors', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const own = await ClientFactory.merge({ userId: user.id }).create()

    const response = await client
      .patch(`/api/v1/clients/${own.id}`)
      .json({ email: 'not-an-email', remindersPausedUntil: '15/01/2030', name: '' })
      .loginAs(user)

    response.assertStatus(422)
    const fields = response.body().errors.map((error: { field: string }) => error.field)
    assert.includeMembers(fields, ['email', 'remindersPausedUntil'])
  })

  test('client endpoints need a token', async ({ client }) => {
    const response = await client.get('/api/v1/clients')
    response.assertStatus(401)
  })
})

test.group('Relances', (group) => {
  group.each.setup(() => resetState())

  test('a new invoice gets one relance per offset, each with its delayed job', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({ relanceOffsets: [2, 9] }).create()
    const invoice = await createScheduledInvoice(user)

    const relances = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      relances.map((relance) => [relance.sequence, relance.status]),
      [
        [1, 'scheduled'],
        [2, 'scheduled'],
      ]
    )
    assert.deepEqual(
      await queuedJobIds('relances'),
      relances.map((relance) => sendRelanceJob.jobId(relance.id)).sort()
    )
  })

  test('the check-in comes before the first relance', async ({ assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, {
      dueDate: dayFromToday(-40),
    })
    await invoice.load('checkin')
    const first = await Relance.query()
      .where('invoice_id', invoice.id)
      .orderBy('sequence')
      .firstOrFail()
    assert.isBelow(invoice.checkin.scheduledAt.toMillis(), first.scheduledAt.toMillis())
  })

  test('a new due date moves the waiting relances and their jobs', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const before = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    const monday = weekdayFromToday(1, 28)

    const response = await client
      .patch(`/api/v1/invoices/${invoice.id}`)
      .json({ dueDate: monday.toISODate() })
      .loginAs(user)

    response.assertStatus(200)
    const after = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      after.map((relance) => relance.id),
      before.map((relance) => relance.id)
    )
    // A Monday + 3, 10, 20 days: a Thursday, a Thursday, a Sunday → the Monday after
    assert.deepEqual(
      after.map((relance) => relance.scheduledAt.setZone('Europe/Paris').toISODate()),
      [3, 10, 21].map((days) => monday.plus({ days }).toISODate())
    )
    const { getQueue } = await import('#queue/queues')
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(after[0].id))
    assert.isAbove(job!.timestamp + job!.delay, monday.plus({ days: 3 }).toMillis() - 86_400_000)
  })

  test('paying or cancelling an invoice cancels its relances and removes their jobs', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const paid = await createScheduledInvoice(user)
    const cancelled = await createScheduledInvoice(user)
    const untouched = await createScheduledInvoice(user)

    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    await client.post(`/api/v1/invoices/${cancelled.id}/cancel`).loginAs(user)

    const statuses = await Relance.query().select('invoice_id', 'status')
    for (const invoiceId of [paid.id, cancelled.id]) {
      const rows = statuses.filter((row) => row.invoiceId === invoiceId)
      assert.isTrue(rows.every((row) => row.status === 'cancelled'))
    }
    const remaining = await Relance.query().where('invoice_id', untouched.id)
    assert.deepEqual(
      await queuedJobIds('relances'),
      remaining.map((relance) => sendRelanceJob.jobId(relance.id)).sort()
    )
  })

  test('lists the user relances with their invoice and client, filtered by status', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const kept = await createScheduledInvoice(user, { number: 'F-KEEP', clientName: 'Kept Ltd' })
    const paid = await createScheduledInvoice(user, { number: 'F-PAID' })
    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    const stranger = await UserFactory.create()
    await createScheduledInvoice(stranger, { number: 'F-OTHER' })

    const scheduled = await client.get('/api/v1/relances?status=scheduled').loginAs(user)
    const all = await client.get('/api/v1/relances?perPage=50').loginAs(user)

    scheduled.assertStatus(200)
    assert.equal(scheduled.body().meta.total, 3)
    for (const row of scheduled.body().data) {
      assert.equal(row.invoice.number, 'F-KEEP')
      assert.equal(row.invoice.id, kept.id)
      assert.equal(row.client.name, 'Kept Ltd')
      assert.equal(row.status, 'scheduled')
    }
    assert.equal(all.body().meta.total, 6)
    assert.notInclude(JSON.stringify(all.body()), 'F-OTHER')
  })

  test('an unknown relance status filter is a 422', async ({ client }) => {
    const user = await UserFactory.create()
    const response = await client.get('/api/v1/relances?status=lost').loginAs(user)
    response.assertStatus(422)
    response.assertBodyContains({ errors: [{ field: 'status' }] })
  })
})
