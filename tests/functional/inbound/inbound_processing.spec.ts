import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import encryption from '@adonisjs/core/services/encryption'
import db from '@adonisjs/lucid/services/db'
import Invoice from '#models/invoice'
import Client from '#models/client'
import Relance from '#models/relance'
import CheckinTask from '#models/checkin_task'
import ClientNotice from '#models/client_notice'
import ActivityEvent from '#models/activity_event'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendClientNoticeJob from '#jobs/send_client_notice_job'
import { getQueue } from '#queue/queues'
import { sampleBounce, sampleOutOfOffice, sampleReply } from '#inbound/sample_messages'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { disputeInvoice } from '#services/client_page/client_signals'
import {
  processInboundMessage,
  REPLY_EMAILS_PER_CLIENT_PER_DAY,
} from '#services/inbound/inbound_processing'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  inboundDomainFor,
  inboundMessageRow,
  receiveAndProcess,
  sentRelanceEmailWithAddresses,
} from '#tests/helpers/inbound'
import { countRows } from '#tests/helpers/rows'
import { resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'
import RelanceEmail from '#models/relance_email'
import { dayFromToday } from '#tests/helpers/calendar'

/** A freelancer with two pending invoices of one client, and the relance email that covered both. */
async function relancedInvoices(overrides: { email?: string; locale?: 'fr' | 'en' } = {}) {
  const user = await UserFactory.merge({
    email: overrides.email ?? 'camille@example.test',
    fullName: 'Camille Martin',
    locale: overrides.locale ?? 'en',
    checkinBeforeEachRelance: false,
  }).create()
  const invoices = []
  for (const number of ['FR-1', 'FR-2']) {
    invoices.push(
      await createScheduledInvoice(user, {
        number,
        clientName: 'Atelier Dupont',
        clientEmail: 'compta@atelier-dupont.test',
        dueDate: dayFromToday(-10),
      })
    )
  }
  const email = await sentRelanceEmailWithAddresses(invoices)
  return { user, invoices, ...email }
}

const reply = (
  to: string,
  text = 'We paid both invoices on Monday.\nThe transfer reference is 4411.'
) => sampleReply({ from: 'Jean Dupont <compta@atelier-dupont.test>', to, text }).raw

async function eventsOf(type: string) {
  return ActivityEvent.query().where('type', type).orderBy('id')
}

test.group('Inbound: a client replies to a relance', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())
  inboundDomainFor(group)

  test('every pending invoice of the email is held client_replied, with an event carrying the excerpt', async ({
    assert,
  }) => {
    const { invoices, replyAddress } = await relancedInvoices()
    const id = await receiveAndProcess(replyAddress, reply(replyAddress))

    for (const invoice of invoices) {
      await invoice.refresh()
      assert.equal(invoice.holdReason, 'client_replied')
      const days = invoice.holdUntil!.diff(DateTime.now(), 'days').days
      assert.closeTo(days, 7, 0.01)
    }
    const events = await eventsOf('client_replied')
    assert.lengthOf(events, 2)
    assert.equal(
      events[0].metadata.excerpt,
      'We paid both invoices on Monday. The transfer reference is 4411.'
    )
    const row = await inboundMessageRow(id)
    assert.equal(row.kind, 'reply')
    assert.exists(row.processed_at)
    assert.isTrue(row.summary.notified)
  })

  test('the freelancer gets one check-in quoting the reply, links per invoice, Reply-To the client', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoices, replyAddress } = await relancedInvoices()
    await receiveAndProcess(replyAddress, reply(replyAddress))

    const tasks = await CheckinTask.query().where('reason', 'client_replied').orderBy('id')
    assert.lengthOf(tasks, 2)
    assert.equal(
      tasks[0].signal?.reply?.text,
      'We paid both invoices on Monday.\nThe transfer reference is 4411.'
    )
    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(tasks[0].id))
    assert.equal(await sendCheckinJob.handle(job!), 'sent')

    const [message] = sentMessages(fake)
    const email = message.toJSON().message
    assert.equal(email.subject, 'Atelier Dupont replied about invoices FR-1 and FR-2')
    assert.deepEqual(email.replyTo, [
      { address: 'compta@atelier-dupont.test', name: 'Atelier Dupont' },
    ])
    assert.isUndefined(email.html)
    const text = email.text as string
    assert.include(text, 'From: Jean Dupont <compta@atelier-dupont.test>')
    assert.include(text, 'Subject: Re: Your invoice')
    assert.include(text, '> We paid both invoices on Monday.\n> The transfer reference is 4411.')
    // The relance quoted inside the reply is history: it is not shown again
    assert.notInclude(text, 'a friendly reminder')
    const plain = encryption.decrypt<string>(job!.data.encryptedToken)!
    assert.include(text, `/checkin/${plain}/paid`)
    for (const invoice of invoices) assert.include(text, `Invoice ${invoice.number}`)
    // Both tasks went in this one email
    for (const task of tasks) {
      await task.refresh()
      assert.equal(task.status, 'sent')
    }
    assert.lengthOf(sentMessages(fake), 1)
  })

  test('replies of two clients in one digest: each quoted once, no Reply-To (it would write to both)', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { user, replyAddress } = await relancedInvoices()
    const other = await createScheduledInvoice(user, {
      number: 'GX-9',
      clientName: 'Globex',
      clientEmail: 'ap@globex.test',
      dueDate: dayFromToday(-10),
    })
    const globex = await sentRelanceEmailWithAddresses([other])
    await receiveAndProcess(replyAddress, reply(replyAddress, 'Atelier paid.'))
    await receiveAndProcess(
      globex.replyAddress,
      sampleReply({ from: 'ap@globex.test', to: globex.replyAddress, text: 'Globex disputes.' }).raw
    )

    const [first] = await CheckinTask.query().where('reason', 'client_replied').orderBy('id')
    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(first.id))
    assert.equal(await sendCheckinJob.handle(job!), 'sent')
    const [message] = sentMessages(fake)
    const email = message.toJSON().message
    assert.equal(email.subject, 'Have you been paid? 3 invoices')
    assert.isUndefined(email.replyTo)
    const text = email.text as string
    assert.equal(text.split('> Atelier paid.').length, 2)
    assert.equal(text.split('> Globex disputes.').length, 2)
    assert.include(text, "— Atelier Dupont's reply about invoices FR-1 and FR-2 —")
    assert.include(text, "— Globex's reply about invoice GX-9 —\n\nFrom: ap@globex.test\n")
  })

  test('processed once: a second run of the job, or the same message again, changes nothing', async ({
    assert,
  }) => {
    const { replyAddress } = await relancedInvoices()
    const raw = reply(replyAddress)
    const first = await receiveAndProcess(replyAddress, raw)
    assert.equal(await processInboundMessage(first), 'skipped')
    // A provider retrying its webhook: the same Message-ID again
    const second = await receiveAndProcess(replyAddress, raw)

    assert.lengthOf(await eventsOf('client_replied'), 2)
    assert.equal(await countRows('checkin_tasks', { reason: 'client_replied' }), 2)
    const row = await inboundMessageRow(second)
    assert.equal(row.kind, 'reply')
    assert.equal(row.summary.duplicateOf, first)
  })

  test('invoices already settled: no hold, a plain notice quoting the reply', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoices, replyAddress } = await relancedInvoices({ locale: 'fr' })
    await db.transaction(async (trx) => {
      for (const invoice of invoices)
        await markInvoicePaid(invoice.useTransaction(trx), { via: 'manual' }, trx)
    })
    await receiveAndProcess(replyAddress, reply(replyAddress, 'Merci, bonne journée'))

    for (const invoice of invoices) {
      await invoice.refresh()
      assert.isNull(invoice.holdReason)
    }
    assert.equal(await countRows('checkin_tasks', { reason: 'client_replied' }), 0)
    const notice = await ClientNotice.findByOrFail('kind', 'reply')
    assert.equal(notice.details.reply?.text, 'Merci, bonne journée')
    const job = await getQueue('client-notices').getJob(sendClientNoticeJob.jobId(notice.id))
    assert.equal(await sendClientNoticeJob.handle(job!), 'sent')
    const email = sentMessages(fake)[0].toJSON().message
    assert.equal(email.subject, 'Atelier Dupont a répondu concernant les factures FR-1 et FR-2')
    assert.include(email.text as string, '> Merci, bonne journée')
    assert.deepEqual(email.replyTo, [
      { address: 'compta@atelier-dupont.test', name: 'Atelier Dupont' },
    ])
  })

  test('a reply never shortens a longer hold: a dispute stays until released', async ({
    assert,
  }) => {
    const { user, invoices, replyAddress, emailId } = await relancedInvoices()
    const email = await RelanceEmail.findOrFail(emailId)
    await db.transaction((trx) =>
      disputeInvoice(
        { userId: email.userId, clientId: email.clientId, user },
        invoices[0].id,
        { message: 'Wrong amount' },
        trx
      )
    )
    await receiveAndProcess(replyAddress, reply(replyAddress))

    await invoices[0].refresh()
    assert.equal(invoices[0].holdReason, 'disputed')
    assert.isNull(invoices[0].holdUntil)
    await invoices[1].refresh()
    assert.equal(invoices[1].holdReason, 'client_replied')
    // The freelancer still reads the reply about both
    assert.equal(await countRows('checkin_tasks', { reason: 'client_replied' }), 2)
  })

  test(`a client’s replies reach the freelancer ${REPLY_EMAILS_PER_CLIENT_PER_DAY} times a day at most; each still holds and reaches the feed`, async ({
    assert,
  }) => {
    const { replyAddress } = await relancedInvoices()
    const ids = []
    for (let n = 0; n < REPLY_EMAILS_PER_CLIENT_PER_DAY + 2; n++) {
      ids.push(await receiveAndProcess(replyAddress, reply(replyAddress, `Message ${n}`)))
    }
    const rows = await db.from('inbound_messages').whereIn('id', ids).orderBy('id')
    assert.deepEqual(
      rows.map((row) => row.summary.notified),
      [...Array(REPLY_EMAILS_PER_CLIENT_PER_DAY).fill(true), false, false]
    )
    assert.lengthOf(await eventsOf('client_replied'), 2 * (REPLY_EMAILS_PER_CLIENT_PER_DAY + 2))
  })
})

test.group('Inbound: automatic replies and unknown messages', (group) => {
  group.each.setup(() => resetState())
  inboundDomainFor(group)

  test('an out-of-office only writes client_auto_reply: no hold, no check-in, no notice', async ({
    assert,
  }) => {
    const { invoices, replyAddress } = await relancedInvoices()
    const id = await receiveAndProcess(
      replyAddress,
      sampleOutOfOffice({ from: 'compta@atelier-dupont.test', to: replyAddress }).raw
    )
    const row = await inboundMessageRow(id)
    assert.equal(row.kind, 'auto_reply')
    for (const invoice of invoices) {
      await invoice.refresh()
      assert.isNull(invoice.holdReason)
    }
    assert.lengthOf(await eventsOf('client_auto_reply'), 2)
    assert.equal(await countRows('checkin_tasks', { reason: 'client_replied' }), 0)
    assert.equal(await countRows('client_notices'), 0)
  })

  test('a message without text or attachment, or one past the parser’s limits, is unknown and changes nothing', async ({
    assert,
  }) => {
    const { replyAddress } = await relancedInvoices()
    const empty = await receiveAndProcess(
      replyAddress,
      'From: x@example.test\r\nSubject: \r\n\r\n\r\n'
    )
    const nested = await receiveAndProcess(replyAddress, nestedParts(5_000))
    for (const id of [empty, nested]) {
      const row = await inboundMessageRow(id)
      assert.equal(row.kind, 'unknown')
    }
    const unreadable = await inboundMessageRow(nested)
    assert.match(unreadable.summary.why, /^unreadable message/)
    assert.equal(await countRows('activity_events', { type: 'client_replied' }), 0)
    assert.lengthOf(await Invoice.query().whereNotNull('hold_reason'), 0)
  })
})

test.group('Inbound: bounces', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())
  inboundDomainFor(group)

  test('a permanent bounce fails the email’s relances in words, marks the client bounced and tells the freelancer once', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoices, bounceAddress } = await relancedInvoices()
    const dsn = sampleBounce({
      to: bounceAddress,
      failedRecipient: 'compta@atelier-dupont.test',
    }).raw
    const id = await receiveAndProcess(bounceAddress, dsn)

    const row = await inboundMessageRow(id)
    assert.equal(row.kind, 'bounce')
    const client = await Client.findByOrFail('email', 'compta@atelier-dupont.test')
    assert.equal(client.emailStatus, 'bounced')
    assert.exists(client.emailBouncedAt)
    const relances = await Relance.query().whereNotNull('email_id')
    for (const relance of relances) {
      assert.equal(relance.status, 'failed')
      assert.equal(relance.failureReason, "the client's address does not exist (5.1.1)")
    }
    assert.lengthOf(await eventsOf('client_email_bounced'), 2)
    const notice = await ClientNotice.findByOrFail('kind', 'bounce')
    const job = await getQueue('client-notices').getJob(sendClientNoticeJob.jobId(notice.id))
    assert.equal(await sendClientNoticeJob.handle(job!), 'sent')
    const text = sentMessages(fake)[0].toJSON().message.text as string
    assert.include(
      text,
      "(compta@atelier-dupont.test) for invoices FR-1 and FR-2 was not delivered: the client's address does not exist (5.1.1)"
    )

    // Another bounce of the same address: events, no second notice
    await receiveAndProcess(
      bounceAddress,
      sampleBounce({ to: bounceAddress, failedRecipient: 'compta@atelier-dupont.test' }).raw
    )
    assert.equal(await countRows('client_notices', { kind: 'bounce' }), 1)
    assert.lengthOf(await eventsOf('client_email_bounced'), 4)
    // The invoices' relances now wait: none is cancelled
    const waiting = await Relance.query()
      .whereIn(
        'invoice_id',
        invoices.map((invoice) => invoice.id)
      )
      .where('status', 'scheduled')
    assert.lengthOf(waiting, 4)
  })

  test('a delay (4.x.x) only writes client_email_delayed; the client stays ok', async ({
    assert,
  }) => {
    const { bounceAddress } = await relancedInvoices()
    await receiveAndProcess(
      bounceAddress,
      sampleBounce({
        to: bounceAddress,
        failedRecipient: 'compta@atelier-dupont.test',
        status: '4.4.1',
      }).raw
    )
    const client = await Client.findByOrFail('email', 'compta@atelier-dupont.test')
    assert.equal(client.emailStatus, 'ok')
    assert.lengthOf(await eventsOf('client_email_delayed'), 2)
    assert.equal(await countRows('relances', { status: 'failed' }), 0)
  })

  test('a bounce naming another address than the client’s changes nothing', async ({ assert }) => {
    const { bounceAddress } = await relancedInvoices()
    const id = await receiveAndProcess(
      bounceAddress,
      sampleBounce({ to: bounceAddress, failedRecipient: 'someone-else@example.test' }).raw
    )
    const row = await inboundMessageRow(id)
    assert.equal(row.summary.outcome, 'other_address')
    const client = await Client.findByOrFail('email', 'compta@atelier-dupont.test')
    assert.equal(client.emailStatus, 'ok')
    assert.equal(await countRows('activity_events', { type: 'client_email_bounced' }), 0)
  })
})

/** A message of `depth` nested multiparts: past mailparser's limit on parts. */
function nestedParts(depth: number) {
  let text = 'From: x@example.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n'
  for (let n = 0; n < depth; n++) {
    text += `Content-Type: multipart/mixed; boundary="b${n}"\r\n\r\n--b${n}\r\n`
  }
  text += 'Content-Type: text/plain\r\n\r\ndeep\r\n'
  for (let n = depth - 1; n >= 0; n--) text += `--b${n}--\r\n`
  return text
}
