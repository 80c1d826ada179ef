import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import db from '@adonisjs/lucid/services/db'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import sendRelanceJob from '#jobs/send_relance_job'
import { getQueue } from '#queue/queues'
import { reconcileQueues } from '#queue/reconciler'
import { deliverRelance } from '#services/relances/relance_delivery'
import { deliverCheckin } from '#services/checkins/checkin_delivery'
import { answerCheckin } from '#services/checkins/checkin_answers'
import { reportPayment } from '#services/client_page/client_signals'
import { findPageEmail } from '#services/client_page/client_page'
import { rotateCheckinTokens } from '#services/checkins/checkin_token'
import { nextSendingTimeAfter } from '#support/business_calendar'
import {
  createScheduledInvoice,
  invoiceWithDueRelance,
  latestCheckinOf,
} from '#tests/helpers/invoices'
import { sentRelanceEmailOf } from '#tests/helpers/client_page'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { sentMessages } from '#tests/helpers/mail_fake'
import { resetState } from '#tests/helpers/state'
import { countRows } from '#tests/helpers/rows'
import { dayFromToday } from '#tests/helpers/calendar'

const PARIS = 'Europe/Paris'

/** The first weekday 09:00 Paris time at or after `moment`. */
function firstSendingTimeFrom(moment: DateTime) {
  let at = moment.setZone(PARIS).set({ hour: 9, minute: 0, second: 0, millisecond: 0 })
  if (at < moment) at = at.plus({ days: 1 })
  while (at.weekday >= 6) at = at.plus({ days: 1 })
  return at
}

test.group('Holds', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('POST /invoices/:id/hold holds through a day; a relance due meanwhile waits for the first weekday 09:00 after', async ({
    client,
    assert,
  }) => {
    mail.fake()
    const { user, invoice, relance } = await invoiceWithDueRelance()
    const until = DateTime.now().setZone(PARIS).plus({ days: 3 })

    const response = await client
      .post(`/api/v1/invoices/${invoice.id}/hold`)
      .json({ until: until.toISODate(), note: 'Waiting for the purchase order' })
      .loginAs(user)

    response.assertStatus(200)
    const { hold } = response.body().data
    const end = until.plus({ days: 1 }).startOf('day')
    assert.equal(hold.reason, 'manual')
    assert.equal(hold.note, 'Waiting for the purchase order')
    assert.equal(DateTime.fromISO(hold.until).toMillis(), end.toMillis())
    const outcome = await deliverRelance(relance.id)
    assert.equal(outcome.kind, 'deferred')
    const expected = firstSendingTimeFrom(end)
    assert.equal(outcome.kind === 'deferred' && outcome.until.toMillis(), expected.toMillis())
    await relance.refresh()
    assert.equal(relance.scheduledAt.toMillis(), expected.toMillis())
    assert.equal(await countRows('activity_events', { type: 'invoice_held' }), 1)

    // The list shows the hold as show does
    const listed = await client.get('/api/v1/invoices').loginAs(user)
    assert.deepEqual(listed.body().data[0].hold, hold)
  })

  test('a hold until released keeps the relance back; the reconciler leaves it; release sends it at the next weekday 09:00', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice, relance } = await invoiceWithDueRelance()
    await client.post(`/api/v1/invoices/${invoice.id}/hold`).json({}).loginAs(user)

    assert.deepEqual(await deliverRelance(relance.id), { kind: 'held' })
    assert.lengthOf(sentMessages(fake), 0)
    await relance.refresh()
    assert.equal(relance.status, 'scheduled')
    // Its job finished as held: the reconciler rebuilds nothing for it
    await getQueue('relances').remove(sendRelanceJob.jobId(relance.id))
    const restored = await reconcileQueues({ graceSeconds: 0 })
    assert.equal(restored.relances, 0)

    const releasedAt = DateTime.now()
    const released = await client.post(`/api/v1/invoices/${invoice.id}/release`).loginAs(user)
    released.assertStatus(200)
    assert.isNull(released.body().data.hold)
    await relance.refresh()
    const next = nextSendingTimeAfter(releasedAt, PARIS)
    assert.equal(relance.scheduledAt.toMillis(), next.toMillis())
    assert.isAbove(next.toMillis(), releasedAt.toMillis())
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(relance.id))
    assert.isTrue(await job!.isDelayed())

    const again = await client.post(`/api/v1/invoices/${invoice.id}/release`).loginAs(user)
    assertErrorBody(assert, again, 409)
  })

  test('lifting a hold never sends a burst: every step that came due goes as one email', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, {
      dueDate: dayFromToday(-30),
    })
    await db.transaction(async (trx) => {
      const locked = await Invoice.query({ client: trx })
        .where('id', invoice.id)
        .forUpdate()
        .firstOrFail()
      await locked
        .useTransaction(trx)
        .merge({ holdReason: 'disputed', heldAt: DateTime.now(), holdNote: 'x' })
        .save()
    })
    await Relance.query()
      .where('invoice_id', invoice.id)
      .update({ scheduled_at: DateTime.now().minus({ days: 1 }).toJSDate() })
    for (const relance of await Relance.query().where('invoice_id', invoice.id)) {
      assert.deepEqual(await deliverRelance(relance.id), { kind: 'held' })
    }

    const invoiceRow = await Invoice.findOrFail(invoice.id)
    const { releaseInvoice } = await import('#services/holds/invoice_holds')
    await db.transaction((trx) => releaseInvoice(invoiceRow, trx))
    const rows = await Relance.query().where('invoice_id', invoice.id)
    assert.lengthOf(new Set(rows.map((row) => row.scheduledAt.toMillis())), 1)

    // At that moment, the first job takes them all, worded as the highest step
    await Relance.query()
      .where('invoice_id', invoice.id)
      .update({ scheduled_at: DateTime.now().minus({ seconds: 5 }).toJSDate() })
    assert.deepEqual(await deliverRelance(rows[0].id), { kind: 'sent' })
    for (const row of rows.slice(1))
      assert.deepEqual(await deliverRelance(row.id), { kind: 'skipped' })
    const sent = sentMessages(fake)
    assert.lengthOf(sent, 1)
    assert.match(sent[0].toJSON().message.subject as string, /^Dernier rappel/)
  })

  test('a hold lapses by itself at its end: no hold in the JSON, relances go, release is a 409', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice, relance } = await invoiceWithDueRelance()
    await Invoice.query()
      .where('id', invoice.id)
      .update({
        hold_reason: 'payment_reported',
        held_at: DateTime.now().minus({ days: 8 }).toJSDate(),
        hold_until: DateTime.now().minus({ days: 1 }).toJSDate(),
      })

    const shown = await client.get(`/api/v1/invoices/${invoice.id}`).loginAs(user)
    assert.isNull(shown.body().data.hold)
    const listed = await client.get('/api/v1/invoices').loginAs(user)
    assert.isNull(listed.body().data[0].hold)
    assert.deepEqual(await deliverRelance(relance.id), { kind: 'sent' })
    assert.lengthOf(sentMessages(fake), 1)
    const release = await client.post(`/api/v1/invoices/${invoice.id}/release`).loginAs(user)
    assertErrorBody(assert, release, 409)
  })

  test('paying, cancelling or reopening clears the hold', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const first = await createScheduledInvoice(user)
    const second = await createScheduledInvoice(user)
    for (const invoice of [first, second]) {
      await client.post(`/api/v1/invoices/${invoice.id}/hold`).json({}).loginAs(user)
    }

    const paid = await client.post(`/api/v1/invoices/${first.id}/mark-paid`).loginAs(user)
    const cancelled = await client.post(`/api/v1/invoices/${second.id}/cancel`).loginAs(user)
    const reopened = await client.post(`/api/v1/invoices/${first.id}/reopen`).loginAs(user)

    assert.isNull(paid.body().data.hold)
    assert.isNull(cancelled.body().data.hold)
    assert.isNull(reopened.body().data.hold)
    const held = await client.post(`/api/v1/invoices/${second.id}/hold`).json({}).loginAs(user)
    assertErrorBody(assert, held, 409)
  })

  test('a hold refuses a past day, a day over a year ahead, and another user invoice', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const intruder = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    for (const until of [
      DateTime.now().setZone(PARIS).minus({ days: 2 }).toISODate(),
      DateTime.now().plus({ days: 400 }).toISODate(),
      '2026-02-30',
    ]) {
      const response = await client
        .post(`/api/v1/invoices/${invoice.id}/hold`)
        .json({ until })
        .loginAs(user)
      assert.equal(assertErrorBody(assert, response, 422)[0].field, 'until')
    }
    const foreign = await client
      .post(`/api/v1/invoices/${invoice.id}/hold`)
      .json({})
      .loginAs(intruder)
    assertErrorBody(assert, foreign, 404)
    const untouched = await Invoice.findOrFail(invoice.id)
    assert.isNull(untouched.holdReason)
  })

  test('a bounced client gets nothing until its address changes; then what came due goes at the next weekday 09:00', async ({
    client,
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice, relance } = await invoiceWithDueRelance()
    const bounced = await client
      .patch(`/api/v1/clients/${invoice.clientId}`)
      .json({ emailStatus: 'bounced' })
      .loginAs(user)
    assert.equal(bounced.body().data.emailStatus, 'bounced')

    assert.deepEqual(await deliverRelance(relance.id), { kind: 'held' })
    assert.lengthOf(sentMessages(fake), 0)

    const changedAt = DateTime.now()
    const fixed = await client
      .patch(`/api/v1/clients/${invoice.clientId}`)
      .json({ email: 'new-address@acme.test' })
      .loginAs(user)
    assert.equal(fixed.body().data.emailStatus, 'ok')
    await relance.refresh()
    assert.equal(relance.scheduledAt.toMillis(), nextSendingTimeAfter(changedAt, PARIS).toMillis())
    assert.exists(await ActivityEvent.findBy('type', 'client_email_restored'))
  })
})

/** A new plain token for a scheduled task, as its job carries one. */
async function freshToken(taskId: number) {
  const tokens = await rotateCheckinTokens([taskId], db.connection())
  return tokens.get(taskId)!
}

test.group('Client signals reach the freelancer', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  /** A reported payment on a user's invoice due in 20 days, another invoice's check-in due too. */
  async function reportedPayment() {
    const user = await UserFactory.merge({ fullName: 'Camille Martin', locale: 'fr' }).create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-900',
      clientName: 'Atelier Dupont',
      dueDate: dayFromToday(20),
    })
    const { token } = await sentRelanceEmailOf(invoice)
    const email = (await findPageEmail(token))!
    await db.transaction((trx) =>
      reportPayment(email, invoice.id, { paidOn: DateTime.fromISO('2026-12-02'), note: 'BNP' }, trx)
    )
    return { user, invoice }
  }

  test('the payment_reported check-in joins the digest of what else is due, saying what the client said', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice } = await reportedPayment()
    const due = await createScheduledInvoice(user, {
      number: 'F-901',
      dueDate: dayFromToday(-1),
    })
    const task = await latestCheckinOf(invoice.id)
    const plain = await freshToken(task.id)
    // Both due within the minute: one email
    await db.from('checkin_tasks').update({ scheduled_at: new Date() })

    assert.equal(await deliverCheckin(task.id, plain), 'sent')

    const [sent] = sentMessages(fake)
    const { subject, text } = sent.toJSON().message
    assert.equal(subject, 'As-tu été payé ? 2 factures')
    assert.include(text, '2 factures attendent ta réponse')
    assert.include(text, 'Atelier Dupont dit avoir payé la facture F-900')
    assert.include(text, 'le 02/12/2026')
    assert.include(text, 'Son message : « BNP »')
    assert.include(text, "Oui, je l'ai reçu")
    assert.include(text, 'F-901')
    assert.equal(await countRows('checkin_tasks', { invoice_id: due.id, status: 'sent' }), 1)
  })

  test('"not received" lifts the hold; "paid" pays and clears it; the links work until the hold ends', async ({
    assert,
  }) => {
    const { invoice } = await reportedPayment()
    const task = await latestCheckinOf(invoice.id)
    const first = await freshToken(task.id)
    await task.merge({ status: 'sent', sentAt: DateTime.now().minus({ days: 2 }) }).save()

    // Two days after sending: past the 24 h of routine links, inside the hold
    assert.equal(await db.transaction((trx) => answerCheckin(first, 'pending', trx)), 'pending')
    await invoice.refresh()
    assert.isNull(invoice.holdReason)
    const answered = await ActivityEvent.query().where('type', 'checkin_answered').firstOrFail()
    assert.equal(answered.label, 'Invoice F-900 not received yet: relances resume')

    const again = await reportedPayment()
    const second = await latestCheckinOf(again.invoice.id)
    const plain = await freshToken(second.id)
    await second.merge({ status: 'sent', sentAt: DateTime.now() }).save()
    assert.equal(await db.transaction((trx) => answerCheckin(plain, 'paid', trx)), 'paid')
    await again.invoice.refresh()
    assert.equal(again.invoice.status, 'paid')
    assert.isNull(again.invoice.holdReason)

    // Past the hold's end, a signal's link has expired
    const third = await reportedPayment()
    const late = await latestCheckinOf(third.invoice.id)
    const latePlain = await freshToken(late.id)
    await late
      .merge({
        status: 'sent',
        sentAt: DateTime.now().minus({ days: 8 }),
        expiresAt: DateTime.now().minus({ minutes: 1 }),
      })
      .save()
    assert.equal(await db.transaction((trx) => answerCheckin(latePlain, 'paid', trx)), 'expired')
  })
})
