import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import encryption from '@adonisjs/core/services/encryption'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { deliverCheckin, deliverDueCheckins } from '#services/checkins/checkin_delivery'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { createScheduledInvoice, waitingCheckinJobOf } from '#tests/helpers/invoices'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'
import { countRows } from '#tests/helpers/rows'
import { checkinTokensIn } from '#tests/helpers/checkin_links'
import { dayFromToday, shiftClock } from '#tests/helpers/calendar'
import { waitFor } from '#tests/helpers/wait_for'

/** `count` freelancers, each with one invoice whose check-in is due now, and its job's token. */
async function freelancersDueNow(count: number, label: string) {
  const due = []
  for (let n = 1; n <= count; n++) {
    // No check-in before each relance: a sent check-in schedules no next one here
    const user = await UserFactory.merge({
      email: `${label}-${n}@example.test`,
      checkinBeforeEachRelance: false,
    }).create()
    const invoice = await createScheduledInvoice(user, {
      dueDate: dayFromToday(-1),
      clientEmail: `client-${label}-${n}@example.test`,
    })
    const { task, job } = await waitingCheckinJobOf(invoice.id)
    due.push({ user, task, token: encryption.decrypt<string>(job.data.encryptedToken)! })
  }
  await db.from('checkin_tasks').where('status', 'scheduled').update({ scheduled_at: new Date() })
  return due
}

/** How many emails each address received. */
function countsByRecipient(fake: ReturnType<typeof mail.fake>) {
  const counts = new Map<string, number>()
  for (const message of sentMessages(fake)) {
    const [to] = message.toJSON().message.to as { address: string }[]
    counts.set(to.address, (counts.get(to.address) ?? 0) + 1)
  }
  return counts
}

test.group('Check-in batches', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('a batch sends the due check-ins of as many freelancers as asked, its jobs first, and removes the others’ jobs', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const due = await freelancersDueNow(6, 'batch')
    const inHand = due[5]

    const batch = await deliverDueCheckins(
      [{ taskId: inHand.task.id, plainToken: inHand.token }],
      4
    )

    assert.equal(batch.users, 4)
    assert.isFalse(batch.failed)
    assert.equal(batch.outcomes.get(inHand.task.id), 'sent')
    assert.deepEqual([...batch.outcomes.values()], Array(4).fill('sent'))
    const counts = countsByRecipient(fake)
    assert.equal(counts.size, 4)
    assert.equal(counts.get(inHand.user.email), 1, 'the job in hand went first')
    // The job in hand keeps its token; the others got new ones, stored with `sent`
    const sentTasks = await CheckinTask.query().where('status', 'sent').orderBy('id')
    assert.lengthOf(sentTasks, 4)
    const linked = sentMessages(fake).flatMap((message) =>
      checkinTokensIn(message.toJSON().message.text as string)
    )
    assert.sameMembers(
      linked.map(hashCheckinToken),
      sentTasks.map((task) => task.tokenHash)
    )
    assert.include(linked, inHand.token)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 4)
    // The sent tasks' jobs are gone (the one in hand is the caller's); the two left wait
    const waiting = await CheckinTask.query().where('status', 'scheduled').orderBy('id')
    assert.lengthOf(waiting, 2)
    const queued = await queuedJobIds('checkins')
    assert.includeMembers(
      queued,
      waiting.map((task) => sendCheckinJob.jobId(task.id))
    )
    const othersSent = sentTasks.filter((task) => task.id !== inHand.task.id)
    for (const task of othersSent) assert.notInclude(queued, sendCheckinJob.jobId(task.id))
  })

  test('a batch claim racing per-row jobs caught between their send and their commit sends each email once', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const due = await freelancersDueNow(12, 'race')
    // Every delivery waits for this lock to write its activity event, after its email
    const slowCommits = await db.transaction()
    let deliveries: Promise<unknown>[] = []
    try {
      await slowCommits.rawQuery('LOCK TABLE activity_events IN SHARE MODE')
      deliveries = due.slice(0, 6).map(({ task, token }) => deliverCheckin(task.id, token))
      await waitFor('the per-row emails to go', () => sentMessages(fake).length === 6)

      // Their tasks are still `scheduled`, their users locked: the batch must leave them
      deliveries.push(deliverDueCheckins([], 24))
      await waitFor('the batch emails to go', () => sentMessages(fake).length >= 12)
    } finally {
      await slowCommits.rollback()
    }
    const settled = await Promise.all(deliveries)
    const batch = settled[6] as Awaited<ReturnType<typeof deliverDueCheckins>>

    assert.equal(batch.sent, 6)
    const counts = countsByRecipient(fake)
    for (const { user } of due) assert.equal(counts.get(user.email), 1, user.email)
    assert.lengthOf(sentMessages(fake), 12)
    assert.equal(await countRows('checkin_tasks', { status: 'sent' }), 12)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 12)
  })

  test('batches and the per-row jobs of the same check-ins, all at once, send each email once', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const due = await freelancersDueNow(24, 'all-at-once')

    const outcomes = await Promise.all([
      deliverDueCheckins([], 24),
      ...due.map(({ task, token }) => deliverCheckin(task.id, token)),
      deliverDueCheckins([], 24),
    ])

    const counts = countsByRecipient(fake)
    for (const { user } of due) assert.equal(counts.get(user.email), 1, user.email)
    assert.lengthOf(sentMessages(fake), 24)
    assert.equal(await countRows('checkin_tasks', { status: 'sent' }), 24)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 24)
    // What each side reports adds up to the emails: a task sent is reported once
    const sentPerRow = outcomes.slice(1, -1).filter((outcome) => outcome === 'sent').length
    const sentByBatches = [outcomes[0], outcomes.at(-1)].reduce(
      (sent, batch) => sent + (batch as { sent: number }).sent,
      0
    )
    assert.equal(sentPerRow + sentByBatches, 24)
  })

  test('a batch skips a freelancer whose delivery another transaction holds, and that delivery sends once', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const [held, other] = await freelancersDueNow(2, 'held')
    // A per-row delivery of the first freelancer, mid-send: its user row locked
    const perRow = await db.transaction()
    try {
      await perRow.rawQuery('SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE', [held.user.id])

      const batch = await deliverDueCheckins([], 10)

      assert.equal(batch.users, 1)
      assert.deepEqual([...countsByRecipient(fake).keys()], [other.user.email])
    } finally {
      await perRow.rollback()
    }
    assert.equal(await deliverCheckin(held.task.id, held.token), 'sent')
    assert.equal(await deliverCheckin(other.task.id, other.token), 'skipped')
    const counts = countsByRecipient(fake)
    assert.equal(counts.get(held.user.email), 1)
    assert.equal(counts.get(other.user.email), 1)
  })

  test("a check-in waits out its invoice's hold on the app's clock, not the database's", async ({
    assert,
  }) => {
    const fake = mail.fake()
    const [perRow, batched] = await freelancersDueNow(2, 'promised')
    const holdEnd = new Date(Date.now() + 3_600_000)
    await db
      .from('invoices')
      .update({ hold_reason: 'payment_promised', held_at: new Date(), hold_until: holdEnd })

    const whileHeld = await deliverDueCheckins([], 10)
    assert.equal(whileHeld.sent, 0, 'held: nothing goes')
    assert.lengthOf(sentMessages(fake), 0)

    // The app's clock two hours on, PostgreSQL's where it was: the promise has lapsed
    const moveBack = shiftClock(2 * 3_600_000)
    try {
      assert.equal(await deliverCheckin(perRow.task.id, perRow.token), 'sent')
      const lapsed = await deliverDueCheckins([], 10)
      assert.equal(lapsed.sent, 1)
    } finally {
      moveBack()
    }
    const counts = countsByRecipient(fake)
    assert.equal(counts.get(perRow.user.email), 1)
    assert.equal(counts.get(batched.user.email), 1)
  })

  test('concurrent jobs of due check-ins share batches, and each check-in goes out once', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const due = await freelancersDueNow(12, 'jobs')
    const queue = getQueue('checkins')
    const jobs = await Promise.all(
      due.map(({ task }) => queue.getJob(sendCheckinJob.jobId(task.id)))
    )

    const outcomes = await Promise.all(jobs.map((job) => sendCheckinJob.handle(job!)))

    // Each job reports its own task sent: by its batch, or by its per-row path
    assert.deepEqual(outcomes, Array(12).fill('sent'))
    const counts = countsByRecipient(fake)
    for (const { user } of due) assert.equal(counts.get(user.email), 1, user.email)
    assert.equal(await countRows('checkin_tasks', { status: 'sent' }), 12)
  })
})
