import { test } from '@japa/runner'
import mail from '@adonisjs/mail/services/main'
import encryption from '@adonisjs/core/services/encryption'
import ActivityEvent from '#models/activity_event'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { generateCheckinToken } from '#services/checkins/checkin_token'
import { createScheduledInvoice, latestCheckinOf } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'

/** The job the scheduler queued for the invoice's check-in. */
async function queuedCheckinJob(invoiceId: number) {
  const task = await latestCheckinOf(invoiceId)
  const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
  if (!job) throw new Error(`no job queued for check-in ${task.id}`)
  return { task, job }
}

test.group('Check-in delivery', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('the job emails the user both links in plain text, then marks the task sent', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const user = await UserFactory.merge({ email: 'freelance@example.test', locale: 'fr' }).create()
    const invoice = await createScheduledInvoice(user, {
      clientEmail: 'client@example.test',
      number: 'F-2026-042',
    })
    const { task, job } = await queuedCheckinJob(invoice.id)
    const plain = encryption.decrypt<string>(job.data.encryptedToken)!

    assert.equal(await sendCheckinJob.handle(job), 'sent')

    const [message] = sentMessages(fake)
    assert.exists(message)
    message.assertTo('freelance@example.test')
    assert.isFalse(message.hasRecipient('to', 'client@example.test'))
    const text = message.toJSON().message.text as string
    assert.isUndefined(message.toJSON().message.html)
    assert.include(text, 'F-2026-042')
    assert.include(text, '24 heures')
    assert.include(text, `/api/v1/checkin/${plain}/paid`)
    assert.include(text, `/api/v1/checkin/${plain}/pending`)
    await task.refresh()
    assert.equal(task.status, 'sent')
    assert.exists(task.sentAt)
    const events = await ActivityEvent.query()
      .where('invoice_id', invoice.id)
      .where('type', 'checkin_sent')
    assert.lengthOf(events, 1)
  })

  test('English users get the English email', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.apply('english').create()
    const invoice = await createScheduledInvoice(user)
    const { job } = await queuedCheckinJob(invoice.id)

    await sendCheckinJob.handle(job)

    const text = sentMessages(fake)[0].toJSON().message.text as string
    assert.include(text, 'Have you been paid?')
    assert.include(text, 'expire in 24 hours')
    assert.include(text, '€1,250.00')
  })

  test('the job does nothing for a paid invoice', async ({ assert, client }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const { job } = await queuedCheckinJob(invoice.id)
    await client.post(`/api/v1/invoices/${invoice.id}/mark-paid`).loginAs(user)

    assert.equal(await sendCheckinJob.handle(job), 'skipped')
    assert.lengthOf(sentMessages(fake), 0)
  })

  test('the job does nothing when its token no longer matches the task', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const { task, job } = await queuedCheckinJob(invoice.id)
    await task.merge({ tokenHash: generateCheckinToken().hashed }).save()

    assert.equal(await sendCheckinJob.handle(job), 'skipped')
    assert.lengthOf(sentMessages(fake), 0)
    await task.refresh()
    assert.equal(task.status, 'scheduled')
  })

  test('the job runs once even when delivered twice', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const { job } = await queuedCheckinJob(invoice.id)

    const outcomes = await Promise.all([sendCheckinJob.handle(job), sendCheckinJob.handle(job)])

    assert.sameMembers(outcomes, ['sent', 'skipped'])
    assert.lengthOf(sentMessages(fake), 1)
    // Sent once; the one scheduled after it is the check-in before relance 2
    const tasks = await CheckinTask.query().where('invoice_id', invoice.id).where('status', 'sent')
    assert.lengthOf(tasks, 1)
  })

  test('a payload that cannot be decrypted is skipped', async ({ assert }) => {
    const fake = mail.fake()
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    const { job } = await queuedCheckinJob(invoice.id)
    job.data = { ...job.data, encryptedToken: 'not-encrypted' }

    assert.equal(await sendCheckinJob.handle(job), 'skipped')
    assert.lengthOf(sentMessages(fake), 0)
  })
})
