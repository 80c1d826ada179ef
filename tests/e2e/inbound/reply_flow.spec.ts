import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import RelanceEmail from '#models/relance_email'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import { hashLinkToken } from '#support/link_tokens'
import { parseInboundAddress } from '#inbound/inbound_addresses'
import { sampleBounce, sampleOutOfOffice } from '#inbound/sample_messages'
import { callApi, postInvoiceOn, registerVerifiedOn } from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { sendToReceiver, startReceiver, TEST_INBOUND_DOMAIN } from '#tests/helpers/inbound'
import { checkinPage, checkinTokensIn } from '#tests/helpers/checkin_links'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

/** Brings a waiting relance forward to now and lets its job run at once. */
async function makeDueNow(relanceId: number) {
  await Relance.query()
    .where('id', relanceId)
    .update({ scheduled_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })
  const job = await getQueue('relances').getJob(sendRelanceJob.jobId(relanceId))
  if (!job) throw new Error(`relance ${relanceId} has no job`)
  await job.promote()
  return job
}

/** The inbound message rows once `count` are processed. */
function processedMessages(count: number) {
  return waitFor(`${count} inbound message(s) processed`, async () => {
    const rows = await db.from('inbound_messages').whereNotNull('processed_at').orderBy('id')
    return rows.length >= count ? rows : undefined
  })
}

test.group('Inbound mail end to end', (group) => {
  const scene = processSceneForEach(group, {
    app: { INBOUND_DOMAIN: TEST_INBOUND_DOMAIN, CHECKIN_PAST_DUE_DELAY_MS: '200' },
  })

  test('a reply holds the invoice and reaches the freelancer quoted; an out-of-office only the feed; a bounce stops the address until it changes', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const receiver = scene.track(await startReceiver())
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const created = await postInvoiceOn(app, token, { number: 'F-2026-301', amountCents: 120_000 })
    const invoiceId = created.body.data.id as number
    const [dueCheckin] = await inbox.waitForMessageTo('camille@example.test')
    inbox.take(dueCheckin)
    const [first, second] = await Relance.query().where('invoice_id', invoiceId).orderBy('sequence')

    // The relance carries its own reply and bounce addresses and Message-ID
    await makeDueNow(first.id)
    const [relance] = await inbox.waitForMessageTo('compta@acme.test')
    const replyTo = relance.replyTo!.value[0]
    assert.equal(replyTo.name, 'Camille Martin')
    const parsed = parseInboundAddress(replyTo.address!, TEST_INBOUND_DOMAIN)
    assert.equal(parsed?.kind, 'reply')
    assert.equal(inbox.envelopeOf(relance).from, `bounce+${parsed!.token}@${TEST_INBOUND_DOMAIN}`)
    assert.match(relance.messageId!, new RegExp(`@${TEST_INBOUND_DOMAIN.replaceAll('.', '\\.')}>$`))
    // The worker commits the email's row once SMTP has answered: it may still be on its way
    const email = await waitFor(
      'the relance email’s row',
      async () =>
        (await RelanceEmail.findBy('reply_token_hash', hashLinkToken(parsed!.token))) ?? undefined
    )
    assert.equal(email.messageId, relance.messageId)
    const preview = await callApi(app, 'GET', `/invoices/${invoiceId}/relances/2/preview`, {
      token,
    })
    assert.equal(preview.body.data.replyTo, `reply+token@${TEST_INBOUND_DOMAIN}`)

    // The client replies, with nodemailer, to the Reply-To at the receiver
    const sentAt = Date.now()
    await sendToReceiver(receiver.port, {
      from: 'Compta Acme <compta@acme.test>',
      to: replyTo.address!,
      subject: `Re: ${relance.subject}`,
      inReplyTo: relance.messageId,
      text: `Bonjour,\n\nNous avons payé lundi par virement.\n\nLe ${new Date().toUTCString()}, Camille Martin via Relance a écrit :\n> ${relance.text!.split('\n')[0]}`,
      attachments: [{ filename: 'avis-de-virement.pdf', content: '%PDF-1.4 virement' }],
    })
    const held = await waitFor(
      'the invoice held client_replied',
      async () => {
        const invoice = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
        return invoice.body.data.hold?.reason === 'client_replied' ? invoice.body.data : undefined
      },
      { timeoutMs: 10_000 }
    )
    assert.equal(held.checkin.reason, 'client_replied')
    const [question] = await inbox.waitForMessageTo('camille@example.test', { timeoutMs: 10_000 })
    assert.isBelow(Date.now() - sentAt, 10_000)
    assert.equal(question.subject, 'Acme SAS a répondu concernant la facture F-2026-301')
    assert.equal(question.replyTo?.value[0].address, 'compta@acme.test')
    assert.isFalse(Boolean(question.html))
    const text = question.text!
    assert.include(text, 'De : Compta Acme <compta@acme.test>')
    assert.include(text, `Objet : Re: ${relance.subject}`)
    assert.include(text, 'Pièces jointes : avis-de-virement.pdf')
    assert.include(text, '> Nous avons payé lundi par virement.')
    assert.notInclude(text, 'a écrit :')
    inbox.take(question)

    // "Not received yet": the hold is lifted, the relances go on
    const [pendingToken] = checkinTokensIn(text, 'pending')
    const click = await fetch(`${app.baseUrl}/api/v1/checkin/${pendingToken}/pending`, {
      redirect: 'manual',
    })
    assert.equal(click.headers.get('location'), checkinPage('pending'))
    const afterClick = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.isNull(afterClick.body.data.hold)

    // An out-of-office to the same address: the feed only
    const outOfOffice = sampleOutOfOffice({ from: 'compta@acme.test', to: replyTo.address! })
    await sendToReceiver(receiver.port, outOfOffice)
    const [, autoReply] = await processedMessages(2)
    assert.equal(autoReply.kind, 'auto_reply')
    const feed = await callApi(app, 'GET', '/activity', { token })
    assert.include(
      feed.body.data.map((event: { type: string }) => event.type),
      'client_auto_reply'
    )
    const afterAutoReply = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.isNull(afterAutoReply.body.data.hold)

    // A DSN to the envelope sender: the client is bounced, the freelancer told
    const bounce = sampleBounce({
      to: inbox.envelopeOf(relance).from,
      failedRecipient: 'compta@acme.test',
    })
    await sendToReceiver(receiver.port, bounce)
    const client = await waitFor('the client bounced', async () => {
      const clients = await callApi(app, 'GET', '/clients', { token })
      const [found] = clients.body.data
      return found.emailStatus === 'bounced' ? found : undefined
    })
    const [notice] = await inbox.waitForMessageTo('camille@example.test')
    assert.equal(notice.subject, "L'adresse de Acme SAS ne reçoit pas tes relances")
    assert.include(notice.text!, "l'adresse du client n'existe pas (5.1.1)")
    await first.refresh()
    assert.equal(first.status, 'failed')
    assert.equal(first.failureReason, "the client's address does not exist (5.1.1)")
    // The out-of-office reached no one: the client and the freelancer got just these
    assert.lengthOf(inbox.to('compta@acme.test'), 1)

    // No further relance to the bounced address
    const job = await makeDueNow(second.id)
    await waitFor(
      'the second relance’s job to finish',
      async () => (await job.isCompleted()) || undefined
    )
    const finished = await getQueue('relances').getJob(job.id!)
    assert.equal(finished?.returnvalue, 'held')
    await holdsFor(
      'no relance to the bounced address',
      () => inbox.to('compta@acme.test').length === 1,
      {
        forMs: 1_000,
      }
    )

    // A new address: the relance waiting goes at the next weekday 09:00, not in a burst
    const changed = await callApi(app, 'PATCH', `/clients/${client.id}`, {
      token,
      body: { email: 'ap@acme.test' },
    })
    assert.equal(changed.body.data.emailStatus, 'ok')
    await second.refresh()
    assert.equal(second.status, 'scheduled')
    assert.isAbove(second.scheduledAt.toMillis(), Date.now())
    assert.exists(await getQueue('relances').getJob(sendRelanceJob.jobId(second.id)))
  })
})
