import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import ClientNotice from '#models/client_notice'
import { UserFactory } from '#database/factories/user_factory'
import { disputeInvoice, reportPayment } from '#services/client_page/client_signals'
import { findPageEmail } from '#services/client_page/client_page'
import { hashCheckinToken } from '#services/checkins/checkin_token'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { sentRelanceEmailOf } from '#tests/helpers/client_page'
import { checkinTokenFromText } from '#tests/helpers/checkin_links'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { dropQueueKeys, queuedJobIds, queuesIdle } from '#tests/helpers/state'
import { recipientOf } from '#tests/helpers/faults'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

/** A freelancer's invoice with a relance sent to its client, and the client's page email. */
async function invoiceOnClientPage(freelancer: string, number: string) {
  const user = await UserFactory.merge({
    email: freelancer,
    checkinBeforeEachRelance: false,
  }).create()
  const invoice = await createScheduledInvoice(user, {
    number,
    clientName: 'Atelier Dupont',
    clientEmail: `compta-${number.toLowerCase()}@atelier.test`,
    dueDate: dayFromToday(20),
  })
  const { token } = await sentRelanceEmailOf(invoice)
  return { user, invoice, email: (await findPageEmail(token))! }
}

test.group('Faults: Redis loses a client signal before it reaches the freelancer', (group) => {
  const scene = processSceneForEach(group)

  test('the reconciler rebuilds the check-in and the notice: each goes out once', async ({
    assert,
  }) => {
    const { inbox } = scene
    const paid = await invoiceOnClientPage('paid@example.test', 'SIG-1')
    const disputed = await invoiceOnClientPage('disputed@example.test', 'SIG-2')
    await db.transaction((trx) =>
      reportPayment(paid.email, paid.invoice.id, { note: 'Payé par virement' }, trx)
    )
    await db.transaction((trx) =>
      disputeInvoice(disputed.email, disputed.invoice.id, { message: 'Montant erroné' }, trx)
    )
    const task = await CheckinTask.query().where('reason', 'payment_reported').firstOrFail()
    // The disputed invoice's own check-in waits for the release: only the signal's is queued
    assert.deepEqual(await queuedJobIds('checkins'), [sendCheckinJob.jobId(task.id)])
    assert.lengthOf(await queuedJobIds('client-notices'), 1)

    // Redis loses everything between the client's post and the emails
    await dropQueueKeys()
    await scene.startWorker({
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
      QUEUE_RECONCILE_INTERVAL_MS: '300',
    })

    const [question] = await inbox.waitForMessageTo('paid@example.test')
    const [notice] = await inbox.waitForMessageTo('disputed@example.test')
    assert.equal(question.subject, 'Atelier Dupont dit avoir payé la facture SIG-1')
    assert.equal(notice.subject, 'Atelier Dupont conteste la facture SIG-2')
    // The lost plain token was replaced: the email's links are the task's
    await task.refresh()
    assert.equal(task.status, 'sent')
    assert.equal(hashCheckinToken(checkinTokenFromText(question.text ?? '')), task.tokenHash)
    const noticeRow = await ClientNotice.firstOrFail()
    assert.equal(noticeRow.status, 'sent')
    // Reconciling every 300 ms sends nothing twice
    await holdsFor(
      'one email each',
      async () => inbox.messages.length === 2 && (await queuesIdle()),
      { forMs: 2_000 }
    )
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 1)
    assert.equal(await countRows('activity_events', { type: 'client_notice_sent' }), 1)
  })
})

test.group('Faults: the worker is killed while it sends client signals', (group) => {
  const scene = processSceneForEach(group)

  test('SIGKILL mid-batch: every check-in goes, twice at most what SMTP accepted but PostgreSQL never committed', async ({
    assert,
  }) => {
    const { inbox } = scene
    const count = 12
    for (let n = 1; n <= count; n++) {
      const { email, invoice } = await invoiceOnClientPage(`signal-${n}@example.test`, `KIL-${n}`)
      await db.transaction((trx) => reportPayment(email, invoice.id, {}, trx))
    }
    // Each send waits for the SMTP answer: sends are in flight all along
    inbox.delayMs = 300
    const first = await scene.startWorker({}, { concurrency: 4 })
    await waitFor('a part of the batch to be accepted by SMTP', () => inbox.messages.length >= 3, {
      timeoutMs: 20_000,
      intervalMs: 10,
    })
    // A slow commit holds sends inside the window: the activity row each
    // delivery writes after the SMTP answer waits for this lock
    const slowCommits = await db.transaction()
    try {
      await slowCommits.rawQuery('LOCK TABLE activity_events IN SHARE MODE')
      const acceptedBefore = inbox.messages.length
      await waitFor(
        'sends accepted by SMTP that cannot commit',
        () => inbox.messages.length - acceptedBefore >= 2,
        { timeoutMs: 10_000, intervalMs: 5 }
      )
      await first.stop('SIGKILL')
      await waitFor('the killed sends to settle', () => inbox.inFlight === 0)
    } finally {
      await slowCommits.rollback()
    }
    const accepted = new Set(inbox.messages.map(recipientOf))
    const sentTasks = await CheckinTask.query()
      .where('status', 'sent')
      .preload('invoice', (invoice) => invoice.preload('user'))
    const committed = new Set(sentTasks.map((task) => task.invoice.user.email))
    const window = [...accepted].filter((address) => !committed.has(address))
    assert.isAtLeast(window.length, 2, 'the kill fell inside the window')

    inbox.delayMs = 0
    await scene.startWorker({}, { concurrency: 4 })
    // The jobs the killed worker held come back once their locks expire
    await waitFor(
      'every check-in committed as sent',
      async () => (await countRows('checkin_tasks', { status: 'sent' })) === count,
      { timeoutMs: 45_000, intervalMs: 200 }
    )
    const counts = inbox.countsByRecipient()
    const duplicated = [...counts].filter(([, sent]) => sent > 1).map(([address]) => address)
    for (let n = 1; n <= count; n++) {
      assert.oneOf(counts.get(`signal-${n}@example.test`), [1, 2])
    }
    // At most one send per job in hand, and only those the kill caught
    assert.isAtMost(duplicated.length, 4)
    assert.sameMembers(duplicated, window, 'what went twice is what was in the window')
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), count)
  }).timeout(90_000)
})
