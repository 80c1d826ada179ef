import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import { DateTime } from 'luxon'
import Client from '#models/client'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import QueueStatus from '../../../commands/queue_status.js'
import { createScheduledInvoice, relanceDueNow } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import { SmtpInbox } from '#tests/helpers/smtp_inbox'
import env from '#start/env'

/** The table `node ace queue:status` prints, one array of cells per queue. */
async function queueStatusRows() {
  ace.ui.switchMode('raw')
  const command = await ace.create(QueueStatus, [])
  await command.exec()
  command.assertSucceeded()
  const rows = ace.ui.logger
    .getLogs()
    .map(({ message }) => message.split('|').map((cell) => cell.trim()))
  ace.ui.switchMode('normal')
  return rows
}

/** The lag queue:status prints for the relances. */
async function relanceLag() {
  const rows = await queueStatusRows()
  const header = rows.find((cells) => cells.includes('queue'))!
  return rows.find((cells) => cells.includes('relances'))![header.indexOf('lag')]
}

test.group('Queue status', (group) => {
  group.each.setup(() => resetState())

  test('queue:status shows Redis counts beside the rows, the lag and the last day’s failures', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user)
    await relanceDueNow(invoice.id, 1) // a minute overdue
    await Relance.query()
      .where('invoice_id', invoice.id)
      .where('sequence', 3)
      .update({ status: 'failed', failure_reason: 'mailbox unavailable' })

    const rows = await queueStatusRows()

    const header = rows.find((cells) => cells.includes('queue'))!
    const cell = (queue: string, column: string) =>
      rows.find((cells) => cells.includes(queue))![header.indexOf(column)]
    assert.equal(cell('checkins', 'delayed'), '1')
    assert.equal(cell('checkins', 'rows scheduled'), '1')
    assert.equal(cell('checkins', 'lag'), '-')
    assert.equal(cell('relances', 'delayed'), '3')
    assert.equal(cell('relances', 'rows scheduled'), '2')
    assert.equal(cell('relances', 'rows failed'), '1')
    assert.equal(cell('relances', 'failed in 24 h'), '1')
    assert.match(cell('relances', 'lag'), /^\d+ s$/)
    assert.isAtLeast(Number.parseInt(cell('relances', 'lag')), 59)
  })

  test('the rows of an unverified user wait for the verification: they are no lag', async ({
    assert,
  }) => {
    const unverified = await UserFactory.apply('unverified').create()
    const invoice = await createScheduledInvoice(unverified)
    await relanceDueNow(invoice.id)
    assert.equal(await relanceLag(), '-')

    const verified = await createScheduledInvoice(await UserFactory.create())
    await relanceDueNow(verified.id)
    assert.match(await relanceLag(), /^\d+ s$/)
  })
})

test.group('Queue status: relances waiting for someone to act', (group) => {
  group.each.setup(() => resetState())

  test('a relance held until released, or to a bounced address, is no lag', async ({ assert }) => {
    const user = await UserFactory.create()
    const disputed = await createScheduledInvoice(user, { clientEmail: 'ap@disputed.test' })
    await relanceDueNow(disputed.id)
    await disputed.merge({ holdReason: 'disputed', heldAt: DateTime.now() }).save()
    const bounced = await createScheduledInvoice(user, { clientEmail: 'ap@bounced.test' })
    await relanceDueNow(bounced.id)
    await Client.query().where('id', bounced.clientId).update({ email_status: 'bounced' })
    assert.equal(await relanceLag(), '-')

    await disputed.merge({ holdReason: null, heldAt: null }).save()
    assert.match(await relanceLag(), /^\d+ s$/)
  })
})

test.group('Queue status: the inbound receiver', (group) => {
  group.each.setup(() => resetState())
  group.each.setup(() => {
    const previous = {
      domain: env.get('INBOUND_DOMAIN'),
      port: env.get('INBOUND_SMTP_PORT'),
    }
    return () => {
      env.set('INBOUND_DOMAIN', previous.domain ?? '')
      // Unset again, not '': the default port applies
      env.set('INBOUND_SMTP_PORT', previous.port as never)
      if (previous.port === undefined) delete process.env.INBOUND_SMTP_PORT
    }
  })

  /** The line queue:status ends with. */
  async function receiverLine() {
    const rows = await queueStatusRows()
    return (
      rows.map((cells) => cells.join('|')).find((line) => line.includes('inbound receiver')) ?? ''
    )
  }

  test('says whether the receiver answers: its greeting, or why not; off without INBOUND_DOMAIN', async ({
    assert,
  }) => {
    env.set('INBOUND_DOMAIN', '')
    assert.include(await receiverLine(), 'inbound receiver: off (INBOUND_DOMAIN is not set)')

    const smtp = await SmtpInbox.start()
    const { port } = smtp
    try {
      env.set('INBOUND_DOMAIN', 'inbound.relance.test')
      env.set('INBOUND_SMTP_PORT', port as never)
      assert.match(
        await receiverLine(),
        new RegExp(`inbound receiver 127\\.0\\.0\\.1:${port}: up \\(220 `)
      )
    } finally {
      await smtp.close()
    }
    assert.include(await receiverLine(), `inbound receiver 127.0.0.1:${port}: down (ECONNREFUSED)`)
  })

  test('its messages still to process are the inbound row of the table', async ({ assert }) => {
    const rows = await queueStatusRows()
    const header = rows.find((cells) => cells.includes('queue'))!
    const inbound = rows.find((cells) => cells.includes('inbound'))!
    assert.equal(inbound[header.indexOf('rows scheduled')], '0')
  })
})
