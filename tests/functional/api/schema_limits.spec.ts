import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Client from '#models/client'
import { UserFactory } from '#database/factories/user_factory'
import { storeInvoice } from '#tests/helpers/invoice_requests'
import { resetState } from '#tests/helpers/state'

/** Today (UTC) and `years` ahead, as the validators count. */
const yearsAhead = (years: number, days = 0) =>
  DateTime.utc().startOf('day').plus({ years, days }).toISODate()!

test.group('The database holds the validators’ limits', (group) => {
  group.each.setup(() => resetState())

  test('an invoice number past 50 characters, empty or with a line break cannot be stored, even bypassing the API', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await storeInvoice(client, user, { number: 'F-1' })
    const setNumber = (number: string) =>
      db.from('invoices').where('id', invoice.id).update({ number })

    await setNumber('F'.repeat(50))
    for (const number of ['F'.repeat(51), '', 'F-1\nF-2', 'F-1\tF-2', 'F-\u00851']) {
      await assert.rejects(() => setNumber(number), /too long|invoices_number_printable/)
    }
    const [stored] = await db.from('invoices').where('id', invoice.id).select('number')
    assert.equal(stored.number, 'F'.repeat(50))
  })

  test('a client’s pause ends at most 5 years ahead: the API refuses a day more, and so does the database', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await storeInvoice(client, user, { number: 'F-1' })
    const pause = (remindersPausedUntil: string) =>
      client
        .patch(`/api/v1/clients/${invoice.client.id}`)
        .loginAs(user)
        .json({ remindersPausedUntil })

    const latest = await pause(yearsAhead(5))
    latest.assertStatus(200)
    assert.equal(latest.body().data.remindersPausedUntil, yearsAhead(5))
    for (const date of [yearsAhead(5, 1), '9999-12-31']) {
      const refused = await pause(date)
      refused.assertStatus(422)
      assert.equal(refused.body().errors[0].field, 'remindersPausedUntil')
      assert.equal(refused.body().errors[0].rule, 'dateRange')
    }

    // Bypassing the API: refused whatever the row's age
    await assert.rejects(
      () =>
        db
          .from('clients')
          .where('id', invoice.client.id)
          .update({ reminders_paused_until: '9999-12-31' }),
      /clients_pause_within_bound/
    )
    const stored = await Client.findOrFail(invoice.client.id)
    assert.equal(stored.remindersPausedUntil?.toISODate(), yearsAhead(5))
  })
})
