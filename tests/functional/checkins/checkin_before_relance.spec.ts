import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { checkinTimeBeforeRelance } from '#services/checkins/checkin_scheduler'
import {
  createScheduledInvoice,
  invoiceStatusOf,
  waitingCheckinJobOf,
} from '#tests/helpers/invoices'
import { sentMessages } from '#tests/helpers/mail_fake'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { checkinTokenFromText } from '#tests/helpers/checkin_links'

/** Runs the job of the invoice's waiting check-in, as the worker does at its moment. */
async function sendWaitingCheckin(invoiceId: number) {
  const { task, job } = await waitingCheckinJobOf(invoiceId)
  const outcome = await sendCheckinJob.handle(job)
  if (outcome !== 'sent') throw new Error(`check-in ${task.id} was not sent: ${String(outcome)}`)
  return task
}

/**
 * A user's pending invoice whose check-in at the due date has gone out
 * (through a fake mailer): what the check-in before relance 2 follows.
 */
async function invoiceWithSentCheckin() {
  const fake = mail.fake()
  const user = await UserFactory.create()
  const invoice = await createScheduledInvoice(user)
  await sendWaitingCheckin(invoice.id)
  return { fake, user, invoice }
}

function scheduledCheckinsOf(invoiceId: number) {
  return CheckinTask.query().where('invoice_id', invoiceId).where('status', 'scheduled')
}

/** The queued jobs of the invoice's cancelled check-ins: none may be left. */
async function jobsOfCancelledCheckins(invoiceId: number) {
  const cancelled = await CheckinTask.query()
    .where('invoice_id', invoiceId)
    .where('status', 'cancelled')
  const queued = await queuedJobIds('checkins')
  return cancelled.map((task) => sendCheckinJob.jobId(task.id)).filter((id) => queued.includes(id))
}

function relanceOf(invoiceId: number, sequence: number) {
  return Relance.query().where('invoice_id', invoiceId).where('sequence', sequence).firstOrFail()
}

test.group('Check-in before each later relance', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))
  group.each.teardown(() => mail.restore())

  test('sending the check-in at the due date schedules the one before relance 2, on the weekday before it', async ({
    assert,
  }) => {
    mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)

    await sendWaitingCheckin(invoice.id)

    const [next] = await scheduledCheckinsOf(invoice.id)
    const second = await relanceOf(invoice.id, 2)
    assert.equal(next.beforeRelance, 2)
    assert.equal(
      next.scheduledAt.toMillis(),
      checkinTimeBeforeRelance(second.scheduledAt, user.timezone).toMillis()
    )
    const local = next.scheduledAt.setZone(user.timezone)
    assert.equal(local.hour, 9)
    assert.isBelow(local.weekday, 6)
    assert.include(await queuedJobIds('checkins'), sendCheckinJob.jobId(next.id))
  })

  test('answering paid on the check-in before relance 2 pays the invoice and cancels relances 2 and 3', async ({
    assert,
    client,
  }) => {
    const { fake, invoice } = await invoiceWithSentCheckin()
    await Relance.query()
      .where('invoice_id', invoice.id)
      .where('sequence', 1)
      .update({ status: 'sent', sent_at: DateTime.now().toJSDate() })
    const beforeSecond = await sendWaitingCheckin(invoice.id)
    const token = checkinTokenFromText(sentMessages(fake)[1].toJSON().message.text as string)

    const response = await client.get(`/api/v1/checkin/${token}/paid`).redirects(0)

    response.assertStatus(302)
    assert.match(response.header('location')!, /\/checkin\/paid$/)
    assert.equal(await invoiceStatusOf(invoice.id), 'paid')
    await beforeSecond.refresh()
    assert.equal(beforeSecond.answer, 'paid')
    const relances = await Relance.query().where('invoice_id', invoice.id).orderBy('sequence')
    assert.deepEqual(
      relances.map((relance) => relance.status),
      ['sent', 'cancelled', 'cancelled']
    )
    assert.lengthOf(await scheduledCheckinsOf(invoice.id), 0)
    assert.deepEqual(await jobsOfCancelledCheckins(invoice.id), [])
  })

  test('answering still pending keeps the one check-in already scheduled: never two', async ({
    assert,
    client,
  }) => {
    const { fake, invoice } = await invoiceWithSentCheckin()
    const token = checkinTokenFromText(sentMessages(fake)[0].toJSON().message.text as string)
    await CheckinTask.query()
      .where('invoice_id', invoice.id)
      .where('status', 'scheduled')
      .update({ status: 'cancelled' })

    await client.get(`/api/v1/checkin/${token}/pending`).redirects(0)
    const afterAnswer = await scheduledCheckinsOf(invoice.id)
    assert.lengthOf(afterAnswer, 1, 'the answer creates the missing check-in')
    assert.equal(afterAnswer[0].beforeRelance, 2)

    await client.get(`/api/v1/checkin/${token}/pending`).redirects(0)
    assert.lengthOf(await scheduledCheckinsOf(invoice.id), 1)
  })

  test('without the setting no check-in follows the one at the due date; turning it off cancels the waiting one', async ({
    assert,
    client,
  }) => {
    const { user, invoice } = await invoiceWithSentCheckin()
    assert.lengthOf(await scheduledCheckinsOf(invoice.id), 1)

    const response = await client
      .patch('/api/v1/me')
      .loginAs(user)
      .json({ checkinBeforeEachRelance: false })

    response.assertStatus(200)
    assert.isFalse(response.body().data.checkinBeforeEachRelance)
    assert.lengthOf(await scheduledCheckinsOf(invoice.id), 0)
    assert.deepEqual(await jobsOfCancelledCheckins(invoice.id), [])

    const other = await createScheduledInvoice(user, { number: 'OFF-1' })
    await sendWaitingCheckin(other.id)
    assert.lengthOf(await scheduledCheckinsOf(other.id), 0)
  })

  test('pausing the client moves the check-in with the relance it comes before', async ({
    assert,
    client,
  }) => {
    const { user, invoice } = await invoiceWithSentCheckin()
    const second = await relanceOf(invoice.id, 2)
    const pausedUntil = second.scheduledAt.setZone(user.timezone).plus({ days: 3 })

    const response = await client
      .patch(`/api/v1/clients/${invoice.clientId}`)
      .loginAs(user)
      .json({ remindersPausedUntil: pausedUntil.toISODate() })

    response.assertStatus(200)
    const [moved] = await scheduledCheckinsOf(invoice.id)
    assert.equal(moved.beforeRelance, 2)
    const local = moved.scheduledAt.setZone(user.timezone)
    // The relance waits for the first weekday after the pause: the check-in for the weekday before it
    assert.isTrue(local.toISODate()! >= pausedUntil.minus({ days: 3 }).toISODate()!)
    assert.isTrue(local > second.scheduledAt)
    assert.include(await queuedJobIds('checkins'), sendCheckinJob.jobId(moved.id))
    assert.deepEqual(await jobsOfCancelledCheckins(invoice.id), [])
  })

  test('moving the due date brings back the check-in at the new due date', async ({
    assert,
    client,
  }) => {
    const { user, invoice } = await invoiceWithSentCheckin()
    const dueDate = DateTime.now().setZone(user.timezone).plus({ days: 20 }).toISODate()!

    await client.patch(`/api/v1/invoices/${invoice.id}`).loginAs(user).json({ dueDate })

    const waiting = await scheduledCheckinsOf(invoice.id)
    assert.lengthOf(waiting, 1)
    assert.isNull(waiting[0].beforeRelance)
    assert.equal(waiting[0].scheduledAt.setZone(user.timezone).toISODate(), dueDate)
  })
})
