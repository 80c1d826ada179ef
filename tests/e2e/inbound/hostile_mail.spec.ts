import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import router from '@adonisjs/core/services/router'
import mail from '@adonisjs/mail/services/main'
import Invoice from '#models/invoice'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { generateReplyToken, inboundAddress } from '#inbound/inbound_addresses'
import { probeSmtpReceiver } from '#inbound/receiver_probe'
import { sampleReply } from '#inbound/sample_messages'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { processInboundMessage } from '#services/inbound/inbound_processing'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  refusalOf,
  sendToReceiver,
  sentRelanceEmailWithAddresses,
  startReceiver,
  TEST_INBOUND_DOMAIN,
} from '#tests/helpers/inbound'
import { HOSTILE_CASES, bigAttachment, forgedFrom, rawBytes } from '#tests/helpers/hostile_mail'
import { sentMessages } from '#tests/helpers/mail_fake'
import { countRows } from '#tests/helpers/rows'
import { resetState } from '#tests/helpers/state'
import { dayFromToday } from '#tests/helpers/calendar'

let receiver: Awaited<ReturnType<typeof startReceiver>>

/** A freelancer's pending invoice whose relance went out, with its reply address. */
async function relancedInvoice(
  freelancer = 'camille@example.test',
  clientEmail = 'compta@acme.test'
) {
  const user = await UserFactory.merge({
    email: freelancer,
    checkinBeforeEachRelance: false,
  }).create()
  const invoice = await createScheduledInvoice(user, {
    clientName: 'Acme SAS',
    clientEmail,
    dueDate: dayFromToday(-10),
  })
  return { user, invoice, ...(await sentRelanceEmailWithAddresses([invoice])) }
}

/** Sends a raw message to the receiver; processes what it stored, as the worker does. */
async function deliver(to: string, raw: string | Buffer, envelopeFrom = 'compta@acme.test') {
  await sendToReceiver(receiver.port, {
    envelope: { from: envelopeFrom, to },
    raw: Buffer.isBuffer(raw) ? raw : rawBytes(raw),
  })
  const rows = await db.from('inbound_messages').whereNull('processed_at').select('id')
  for (const { id } of rows) await processInboundMessage(id)
  return db.from('inbound_messages').orderBy('id', 'desc').firstOrFail()
}

test.group('Hostile mail at the receiver', (group) => {
  group.setup(async () => {
    // The check-in emails sent in this process link to named routes
    router.commit()
    receiver = await startReceiver()
    return async () => {
      await receiver.stop()
    }
  })
  group.each.setup(() => resetState())
  group.each.teardown(async () => {
    // Whatever came in, the receiver is still there, taking mail
    if (receiver.hasExited) throw new Error(`the receiver exited:\n${receiver.output}`)
    const { up } = await probeSmtpReceiver('127.0.0.1', receiver.port)
    if (!up) throw new Error('the receiver no longer answers')
    mail.restore()
  })

  for (const hostile of HOSTILE_CASES) {
    test(`${hostile.name}: stored, then ${hostile.kind === 'reply' ? 'a reply that holds the invoice' : 'unknown, changing nothing'}`, async ({
      assert,
    }) => {
      const { invoice, replyAddress } = await relancedInvoice()
      const row = await deliver(replyAddress, hostile.build(replyAddress))
      assert.equal(row.kind, hostile.kind)
      await invoice.refresh()
      if (hostile.kind === 'unknown') {
        assert.isNull(invoice.holdReason)
        return
      }
      assert.equal(invoice.holdReason, 'client_replied')
      const task = await CheckinTask.findByOrFail('reason', 'client_replied')
      assert.equal(task.signal?.reply?.text, hostile.text)
      assert.deepEqual(task.signal?.reply?.attachments, hostile.attachments ?? [])
    })
  }

  test('the HTML-only reply reaches the freelancer as text: no HTML, no script', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { replyAddress } = await relancedInvoice()
    await deliver(
      replyAddress,
      HOSTILE_CASES.find((hostile) => hostile.name.startsWith('HTML'))!.build(replyAddress)
    )
    const task = await CheckinTask.findByOrFail('reason', 'client_replied')
    const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
    assert.equal(await sendCheckinJob.handle(job!), 'sent')
    const message = sentMessages(fake)[0].toJSON().message
    assert.isUndefined(message.html)
    assert.include(message.text as string, '> Paid yesterday.')
    assert.notInclude(message.text as string, '<script')
    assert.notInclude(message.text as string, 'alert(1)')
  })

  test('past 10 MB the message is refused with 552 and nothing is stored', async ({ assert }) => {
    const { replyAddress } = await relancedInvoice()
    const code = await refusalOf(receiver.port, {
      envelope: { from: 'compta@acme.test', to: replyAddress },
      raw: rawBytes(bigAttachment(replyAddress, 10 * 1024 * 1024)),
    })
    assert.equal(code, 552)
    assert.equal(await countRows('inbound_messages'), 0)
  })

  test('no relay: any address but a known reply or bounce address is refused with 550', async ({
    assert,
  }) => {
    const { replyAddress } = await relancedInvoice()
    for (const to of [
      'someone@gmail.test',
      inboundAddress('reply', generateReplyToken(), TEST_INBOUND_DOMAIN),
      `postmaster@${TEST_INBOUND_DOMAIN}`,
      replyAddress.replace(TEST_INBOUND_DOMAIN, 'other.test'),
    ]) {
      const code = await refusalOf(
        receiver.port,
        sampleReply({ from: 'x@evil.test', to, text: 'hi' })
      )
      assert.equal(code, 550, to)
    }
    // One known recipient among unknown ones: only it gets the message
    const mixed = await sendToReceiver(receiver.port, {
      ...sampleReply({ from: 'x@evil.test', to: replyAddress, text: 'hi' }),
      envelope: { from: 'x@evil.test', to: [replyAddress, 'someone@gmail.test'] },
    })
    assert.deepEqual(mixed.accepted, [replyAddress])
    assert.equal(await countRows('inbound_messages'), 1)
  })

  test('a From forging the freelancer gains nothing but its token’s invoice; replies go to the client on record', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { invoice, replyAddress } = await relancedInvoice()
    await deliver(replyAddress, forgedFrom(replyAddress, 'Camille Martin <camille@example.test>'))
    await invoice.refresh()
    assert.equal(invoice.holdReason, 'client_replied')
    assert.equal(invoice.status, 'pending')
    const task = await CheckinTask.findByOrFail('reason', 'client_replied')
    assert.equal(task.signal?.reply?.from, 'Camille Martin <camille@example.test>')
    await sendCheckinJob.handle((await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id)))!)
    const message = sentMessages(fake)[0].toJSON().message
    assert.deepEqual(message.replyTo, [{ address: 'compta@acme.test', name: 'Acme SAS' }])
  })

  test('another user’s token acts on that user’s email only, whoever the message says it is from', async ({
    assert,
  }) => {
    const mine = await relancedInvoice('camille@example.test', 'compta@acme.test')
    const theirs = await relancedInvoice('other@example.test', 'billing@globex.test')
    await deliver(
      theirs.replyAddress,
      forgedFrom(theirs.replyAddress, 'Compta Acme <compta@acme.test>')
    )
    await mine.invoice.refresh()
    await theirs.invoice.refresh()
    assert.isNull(mine.invoice.holdReason)
    assert.equal(theirs.invoice.holdReason, 'client_replied')
    assert.equal(
      await countRows('checkin_tasks', { reason: 'client_replied', invoice_id: mine.invoice.id }),
      0
    )
  })

  test('a reply to a paid invoice holds nothing; the freelancer gets a notice quoting it', async ({
    assert,
  }) => {
    const { invoice, replyAddress } = await relancedInvoice()
    await db.transaction((trx) =>
      markInvoicePaid(invoice.useTransaction(trx), { via: 'manual' }, trx)
    )
    const row = await deliver(replyAddress, forgedFrom(replyAddress, 'compta@acme.test', 'Thanks!'))
    assert.equal(row.kind, 'reply')
    const paid = await Invoice.findOrFail(invoice.id)
    assert.isNull(paid.holdReason)
    assert.equal(paid.status, 'paid')
    assert.equal(await countRows('client_notices', { kind: 'reply' }), 1)
    assert.equal(await countRows('checkin_tasks', { reason: 'client_replied' }), 0)
  })
})
