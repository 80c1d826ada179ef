import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import encryption from '@adonisjs/core/services/encryption'
import type User from '#models/user'
import CheckinTask from '#models/checkin_task'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { createInvoices } from '#services/invoices/create_invoices'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { DIGEST_LIMIT } from '#services/checkins/due_checkin_sql'
import { createScheduledInvoice, waitingCheckinJobOf } from '#tests/helpers/invoices'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'
import { countRows } from '#tests/helpers/rows'
import { checkinTokensIn } from '#tests/helpers/checkin_links'
import { dayFromToday } from '#tests/helpers/calendar'

/** `count` invoices of the user due yesterday, created together as an import creates them. */
function invoicesDueYesterday(user: User, count: number, prefix = 'D') {
  const dueDate = dayFromToday(-1)
  return db.transaction((trx) =>
    createInvoices(
      user,
      Array.from({ length: count }, (_, index) => ({
        number: `${prefix}-${index + 1}`,
        clientName: `Client ${index + 1}`,
        clientEmail: `client-${index + 1}@example.test`,
        amountCents: 10_000 * (index + 1),
        dueDate,
      })),
      trx
    )
  )
}

const jobOf = waitingCheckinJobOf

const paidTokensIn = (text: string) => checkinTokensIn(text, 'paid')
const pendingTokensIn = (text: string) => checkinTokensIn(text, 'pending')

test.group('Check-in digest', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('one job sends every check-in of the user due now in one email, each with its own links', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({ email: 'freelance@example.test' }).create()
    const invoices = await invoicesDueYesterday(user, 3)
    const { job } = await jobOf(invoices[1].id)
    const jobToken = encryption.decrypt<string>(job.data.encryptedToken)!

    assert.equal(await sendCheckinJob.handle(job), 'sent')

    const messages = sentMessages(fake)
    assert.lengthOf(messages, 1)
    messages[0].assertTo('freelance@example.test')
    const text = messages[0].toJSON().message.text as string
    assert.include(messages[0].toJSON().message.subject as string, '3 factures')
    for (const number of ['D-1', 'D-2', 'D-3']) assert.include(text, number)
    const paid = paidTokensIn(text)
    assert.lengthOf(paid, 3)
    assert.lengthOf(new Set([...paid, ...pendingTokensIn(text)]), 3, 'paid and pending pair up')
    assert.deepEqual(pendingTokensIn(text), paid)
    // Each link is its own task's, and the job's task kept the job's token
    const tasks = await CheckinTask.query()
      .whereNull('before_relance')
      .whereIn(
        'invoice_id',
        invoices.map((invoice) => invoice.id)
      )
      .orderBy('id')
    assert.deepEqual(
      tasks.map((task) => task.status),
      ['sent', 'sent', 'sent']
    )
    assert.sameMembers(
      paid.map(hashCheckinToken),
      tasks.map((task) => task.tokenHash)
    )
    assert.include(paid, jobToken)
    assert.lengthOf(await ActivityEvent.query().where('type', 'checkin_sent'), 3)
    // The jobs of the tasks the digest took are gone
    const queued = await queuedJobIds('checkins')
    assert.notInclude(queued, sendCheckinJob.jobId(tasks[0].id))
    assert.notInclude(queued, sendCheckinJob.jobId(tasks[2].id))
  })

  test('the jobs of the check-ins a digest took send nothing', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoices = await invoicesDueYesterday(user, 3)
    const jobs = await Promise.all(invoices.map((invoice) => jobOf(invoice.id)))

    const outcomes = await Promise.all(jobs.map(({ job }) => sendCheckinJob.handle(job)))

    assert.sameMembers(outcomes, ['sent', 'skipped', 'skipped'])
    assert.lengthOf(sentMessages(fake), 1)
  })

  test('a single due check-in still reads as the one-invoice email', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.apply('english').create()
    const [invoice] = await invoicesDueYesterday(user, 1)
    await createScheduledInvoice(user, { number: 'LATER-1' })
    const { job } = await jobOf(invoice.id)

    await sendCheckinJob.handle(job)

    const message = sentMessages(fake)[0].toJSON().message
    assert.equal(message.subject, 'Have you been paid? Invoice D-1 (Client 1)')
    assert.notInclude(message.text as string, 'LATER-1')
  })

  test('the English digest lists each invoice with its amount and both links', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.apply('english').create()
    const invoices = await invoicesDueYesterday(user, 2)
    const { job } = await jobOf(invoices[0].id)

    await sendCheckinJob.handle(job)

    const message = sentMessages(fake)[0].toJSON().message
    const text = message.text as string
    assert.equal(message.subject, 'Have you been paid? 2 invoices')
    assert.include(text, '2 invoices have reached their due date')
    assert.include(text, '1. Invoice D-1 to Client 1, €100.00')
    assert.include(text, '2. Invoice D-2 to Client 2, €200.00')
    assert.include(text, 'These links expire in 24 hours')
    assert.lengthOf(paidTokensIn(text), 2)
  })

  test('check-ins due later, or of another user, stay scheduled for their own email', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const [due] = await invoicesDueYesterday(user, 1)
    const [othersDue] = await invoicesDueYesterday(other, 1)
    const later = await createScheduledInvoice(user, { number: 'LATER-1' })
    const { job } = await jobOf(due.id)

    await sendCheckinJob.handle(job)

    assert.lengthOf(sentMessages(fake), 1)
    const waiting = await CheckinTask.query()
      .where('status', 'scheduled')
      .whereNull('before_relance')
    assert.sameMembers(
      waiting.map((task) => task.invoiceId),
      [othersDue.id, later.id]
    )
  })

  test('one email lists at most 50 invoices, oldest first; the next job sends the rest', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoices = await invoicesDueYesterday(user, DIGEST_LIMIT + 2)
    // The last two became due a little later than the others
    const lastTwo = invoices.slice(-2).map((invoice) => invoice.id)
    await CheckinTask.query()
      .whereIn('invoice_id', lastTwo)
      .update({ scheduled_at: DateTime.now().plus({ seconds: 5 }).toJSDate() })
    const first = await jobOf(invoices[0].id)

    await sendCheckinJob.handle(first.job)

    const text = sentMessages(fake)[0].toJSON().message.text as string
    assert.lengthOf(paidTokensIn(text), DIGEST_LIMIT)
    assert.notInclude(text, `D-${DIGEST_LIMIT + 1},`)
    const waiting = await CheckinTask.query()
      .where('status', 'scheduled')
      .whereNull('before_relance')
    assert.sameMembers(
      waiting.map((task) => task.invoiceId),
      lastTwo
    )

    const next = await jobOf(lastTwo[0])
    assert.equal(await sendCheckinJob.handle(next.job), 'sent')
    assert.lengthOf(paidTokensIn(sentMessages(fake)[1].toJSON().message.text as string), 2)
    assert.equal(await countRows('checkin_tasks', { status: 'sent' }), DIGEST_LIMIT + 2)
  })
})
