import { test } from '@japa/runner'
import { UnrecoverableError } from 'bullmq'
import mail from '@adonisjs/mail/services/main'
import Client from '#models/client'
import Relance from '#models/relance'
import RelanceEmail from '#models/relance_email'
import ClientNotice from '#models/client_notice'
import { UserFactory } from '#database/factories/user_factory'
import sendRelanceJob from '#jobs/send_relance_job'
import { hashLinkToken } from '#support/link_tokens'
import { parseInboundAddress } from '#inbound/inbound_addresses'
import { unknownAddressStatus } from '#mails/mail_errors'
import { deliverRelance } from '#services/relances/relance_delivery'
import { previewRelance } from '#services/relances/relance_composer'
import { createScheduledInvoice, relanceDueNow } from '#tests/helpers/invoices'
import { inboundDomainFor, TEST_INBOUND_DOMAIN } from '#tests/helpers/inbound'
import { countRows } from '#tests/helpers/rows'
import { resetState } from '#tests/helpers/state'
import { sentMessages } from '#tests/helpers/mail_fake'
import { dayFromToday } from '#tests/helpers/calendar'

async function dueRelance() {
  const user = await UserFactory.merge({
    fullName: 'Camille Martin',
    email: 'camille@example.test',
  }).create()
  const invoice = await createScheduledInvoice(user, {
    number: 'F-88',
    clientName: 'Acme',
    clientEmail: 'compta@acme.test',
    dueDate: dayFromToday(-12),
  })
  return { user, invoice, relance: await relanceDueNow(invoice.id) }
}

/** What nodemailer says when the client's server refuses the address at RCPT TO. */
const refusedAtRcpt = (response: string, responseCode = 550) =>
  Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), {
    code: 'EENVELOPE',
    command: 'RCPT TO',
    responseCode,
    response,
  })

test.group('Relance emails with inbound addresses', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())
  inboundDomainFor(group)

  test('a relance replies to its own reply+ address, bounces to bounce+, with its own Message-ID; only the hash is kept', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { relance } = await dueRelance()
    assert.deepEqual(await deliverRelance(relance.id), { kind: 'sent' })

    const message = sentMessages(fake)[0].toJSON().message
    const [replyTo] = message.replyTo as { address: string; name: string }[]
    assert.equal(replyTo.name, 'Camille Martin')
    const parsed = parseInboundAddress(replyTo.address, TEST_INBOUND_DOMAIN)
    assert.equal(parsed?.kind, 'reply')
    assert.deepEqual(message.envelope, {
      from: `bounce+${parsed!.token}@${TEST_INBOUND_DOMAIN}`,
      to: ['compta@acme.test'],
    })
    assert.match(message.messageId as string, /^<relance\.[0-9a-f-]{36}@inbound\.relance\.test>$/)
    const email = await RelanceEmail.firstOrFail()
    assert.equal(email.replyTokenHash, hashLinkToken(parsed!.token))
    assert.equal(email.messageId, message.messageId)
    assert.notInclude(JSON.stringify(email.$attributes), parsed!.token)
  })

  test('the preview shows the shape of the reply address the email will carry', async ({
    assert,
  }) => {
    const { user, invoice } = await dueRelance()
    const preview = await previewRelance(user.id, invoice.id, 1)
    assert.equal(preview.replyTo, `reply+token@${TEST_INBOUND_DOMAIN}`)
  })
})

test.group('Relance emails without inbound mail', (group) => {
  group.each.setup(() => resetState())
  group.each.teardown(() => mail.restore())

  test('with INBOUND_DOMAIN empty, replies go to the user as before, and nothing else changes', async ({
    assert,
  }) => {
    const fake = mail.fake()
    const { user, invoice, relance } = await dueRelance()
    await deliverRelance(relance.id)
    const message = sentMessages(fake)[0].toJSON().message
    assert.deepEqual(message.replyTo, [{ address: 'camille@example.test', name: 'Camille Martin' }])
    assert.isUndefined(message.envelope)
    const email = await RelanceEmail.firstOrFail()
    assert.isNull(email.replyTokenHash)
    const preview = await previewRelance(user.id, invoice.id, 2)
    assert.equal(preview.replyTo, 'camille@example.test')
  })
})

test.group('A client address refused at sending time', (group) => {
  group.each.setup(() => resetState())

  test('a 5.1.x refusal at RCPT TO fails the relance and bounces the client, as a bounce would', async ({
    assert,
  }) => {
    const { relance } = await dueRelance()
    const error = Object.assign(new UnrecoverableError('refused'), {
      cause: refusedAtRcpt(
        '550 5.1.1 <compta@acme.test>: Recipient address rejected: User unknown'
      ),
    })
    await sendRelanceJob.spec.onExhausted!(
      { data: { relanceId: relance.id, invoiceId: relance.invoiceId }, attemptsMade: 1 } as never,
      error
    )

    await relance.refresh()
    assert.equal(relance.status, 'failed')
    const client = await Client.findByOrFail('email', 'compta@acme.test')
    assert.equal(client.emailStatus, 'bounced')
    const notice = await ClientNotice.findByOrFail('kind', 'bounce')
    assert.deepEqual(notice.details, {
      address: 'compta@acme.test',
      status: '5.1.1',
      cause: 'unknown_address',
      invoiceNumbers: ['F-88'],
    })
    assert.equal(await countRows('activity_events', { type: 'client_email_bounced' }), 1)
    // Its other relances wait for a new address: none is cancelled
    assert.lengthOf(await Relance.query().where('status', 'scheduled'), 2)
  })

  test('a refused relay, a login or a refusal at DATA is not the client’s address', ({
    assert,
  }) => {
    assert.equal(unknownAddressStatus(refusedAtRcpt('550 5.1.1 User unknown')), '5.1.1')
    assert.equal(unknownAddressStatus(refusedAtRcpt('550 5.1.10 RecipientNotFound')), '5.1.10')
    assert.equal(unknownAddressStatus(refusedAtRcpt('550 No such user here')), '550')
    assert.isNull(unknownAddressStatus(refusedAtRcpt('554 5.7.1 Relay access denied', 554)))
    assert.isNull(unknownAddressStatus(refusedAtRcpt('550 relaying denied')))
    assert.isNull(unknownAddressStatus(refusedAtRcpt('452 4.2.2 Mailbox full', 452)))
    assert.isNull(
      unknownAddressStatus(
        Object.assign(new Error('550 5.7.1 content rejected'), {
          command: 'DATA',
          responseCode: 550,
        })
      )
    )
    assert.isNull(
      unknownAddressStatus(
        Object.assign(new Error('535 auth'), { code: 'EAUTH', responseCode: 535 })
      )
    )
  })
})
