import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import { sampleReply } from '#inbound/sample_messages'
import { storeInboundMessage } from '#services/inbound/inbound_messages'
import { dropOldInboundMessageBytes } from '#services/inbound/inbound_retention'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  inboundDomainFor,
  inboundMessageRow,
  receiveAndProcess,
  sentRelanceEmailWithAddresses,
} from '#tests/helpers/inbound'
import { resetState } from '#tests/helpers/state'
import { dayFromToday } from '#tests/helpers/calendar'

const DAY_MS = 86_400_000

/** A relance email of one pending invoice, and the reply address it carried. */
async function replyAddress() {
  const user = await UserFactory.merge({ checkinBeforeEachRelance: false }).create()
  const invoice = await createScheduledInvoice(user, {
    clientEmail: 'compta@atelier-dupont.test',
    dueDate: dayFromToday(-10),
  })
  const { replyAddress: address } = await sentRelanceEmailWithAddresses([invoice])
  return address
}

const replyTo = (address: string, text: string) =>
  sampleReply({ from: 'Jean Dupont <compta@atelier-dupont.test>', to: address, text }).raw

/** Moves the moment a message was processed (or given up on) `days` back. */
async function doneDaysAgo(id: number, days: number, column = 'processed_at') {
  await db
    .from('inbound_messages')
    .where('id', id)
    .update({ [column]: new Date(Date.now() - days * DAY_MS) })
}

test.group('Inbound: how long a message is kept whole', (group) => {
  group.each.setup(() => resetState())
  inboundDomainFor(group)

  test('past INBOUND_RAW_RETENTION_DAYS a processed message loses its raw bytes; what was read in it stays', async ({
    assert,
  }) => {
    const address = await replyAddress()
    const retention = env.get('INBOUND_RAW_RETENTION_DAYS')
    const old = await receiveAndProcess(address, replyTo(address, 'We paid on Monday.'))
    const recent = await receiveAndProcess(address, replyTo(address, 'Paid again, sorry.'))
    await doneDaysAgo(old, retention + 1)
    await doneDaysAgo(recent, retention - 1)
    const { summary: summaryBefore } = await inboundMessageRow(old)

    assert.equal(await dropOldInboundMessageBytes(), 1)

    const dropped = await inboundMessageRow(old)
    assert.isNull(dropped.raw)
    assert.deepEqual(dropped.summary, summaryBefore)
    assert.equal(dropped.kind, 'reply')
    const kept = await inboundMessageRow(recent)
    assert.isNotNull(kept.raw)
    // The freelancer's check-in still quotes the reply
    const task = await CheckinTask.query().where('reason', 'client_replied').firstOrFail()
    assert.equal(task.signal?.reply?.text, 'We paid on Monday.')
    // Nothing left to drop: a second pass changes nothing
    assert.equal(await dropOldInboundMessageBytes(), 0)
  })

  test('a message given up on is emptied the same way; one still to process keeps its bytes however old', async ({
    assert,
  }) => {
    const address = await replyAddress()
    const retention = env.get('INBOUND_RAW_RETENTION_DAYS')
    const store = async (text: string) => {
      const [id] = await storeInboundMessage({
        recipients: [address],
        raw: Buffer.from(replyTo(address, text)),
        source: 'smtp',
        envelopeFrom: '',
      })
      return id
    }
    const failed = await store('A message processing gave up on.')
    await db
      .from('inbound_messages')
      .where('id', failed)
      .update({ failure_reason: 'could not be read' })
    await doneDaysAgo(failed, retention + 1, 'failed_at')
    const waiting = await store('A message still to process.')
    await db
      .from('inbound_messages')
      .where('id', waiting)
      .update({ received_at: new Date(Date.now() - (retention + 10) * DAY_MS) })

    assert.equal(await dropOldInboundMessageBytes(), 1)

    const emptied = await inboundMessageRow(failed)
    const untouched = await inboundMessageRow(waiting)
    assert.isNull(emptied.raw)
    assert.isNotNull(untouched.raw)
    // The database itself keeps the bytes of a message still to process
    await assert.rejects(
      () => db.from('inbound_messages').where('id', waiting).update({ raw: null }),
      /inbound_messages_raw_until_done/
    )
  })
})
