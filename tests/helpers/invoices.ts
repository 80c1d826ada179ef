import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import Invoice from '#models/invoice'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { createInvoice, type NewInvoice } from '#services/invoices/create_invoices'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import { dayFromToday } from '#tests/helpers/calendar'

let sequence = 0

/** A pending invoice created as the API creates it: check-in and relances scheduled. */
export function createScheduledInvoice(user: User, overrides: Partial<NewInvoice> = {}) {
  sequence += 1
  return db.transaction((trx) =>
    createInvoice(
      user,
      {
        number: `T-${Date.now()}-${sequence}`,
        clientName: 'Acme',
        clientEmail: 'billing@acme.test',
        amountCents: 125_000,
        dueDate: dayFromToday(5),
        ...overrides,
      },
      trx
    )
  )
}

/**
 * Plays the worker's part: the invoice's check-in is `sent`, with a plain
 * token the test knows.
 */
export async function markCheckinSent(invoiceId: number, sentAt = DateTime.now()) {
  const token = generateCheckinToken()
  const task = await CheckinTask.query()
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .firstOrFail()
  await task.merge({ status: 'sent', sentAt, tokenHash: token.hashed }).save()
  return { task, token: token.plain }
}

/**
 * A new user's pending invoice whose check-in went out at `sentAt` (now by
 * default), with the plain token of its links.
 */
export async function invoiceWithSentCheckin(sentAt = DateTime.now()) {
  const user = await UserFactory.create()
  const invoice = await createScheduledInvoice(user)
  const { token } = await markCheckinSent(invoice.id, sentAt)
  return { user, invoice, token }
}

/** Makes the invoice's relance of this sequence due now (in PostgreSQL only). */
export async function relanceDueNow(invoiceId: number, relanceSequence = 1) {
  const relance = await Relance.query()
    .where('invoice_id', invoiceId)
    .where('sequence', relanceSequence)
    .firstOrFail()
  await relance.merge({ scheduledAt: DateTime.now().minus({ minutes: 1 }) }).save()
  return relance
}

/** A new user's invoice (`overrides` on top) whose first relance is due now. */
export async function invoiceWithDueRelance(overrides: Partial<NewInvoice> = {}) {
  const user = await UserFactory.create()
  const invoice = await createScheduledInvoice(user, overrides)
  const relance = await relanceDueNow(invoice.id)
  return { user, invoice, relance }
}

export async function rubisOf(userId: number) {
  const user = await User.findOrFail(userId)
  return user.rubis
}

export async function invoiceStatusOf(invoiceId: number) {
  const invoice = await Invoice.findOrFail(invoiceId)
  return invoice.status
}

/** The first check-in task the query finds for the invoice: for an invoice that has one. */
export function checkinOf(invoiceId: number) {
  return CheckinTask.query().where('invoice_id', invoiceId).firstOrFail()
}

/** The invoice's most recent check-in task. */
export function latestCheckinOf(invoiceId: number) {
  return CheckinTask.query().where('invoice_id', invoiceId).orderBy('id', 'desc').firstOrFail()
}

/** The queued job of an invoice's waiting check-in, with its task. */
export async function waitingCheckinJobOf(invoiceId: number) {
  const task = await CheckinTask.query()
    .where('invoice_id', invoiceId)
    .where('status', 'scheduled')
    .firstOrFail()
  const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
  if (!job) throw new Error(`no job for check-in ${task.id}`)
  return { task, job }
}
