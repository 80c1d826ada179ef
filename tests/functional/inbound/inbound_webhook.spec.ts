import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Invoice from '#models/invoice'
import { UserFactory } from '#database/factories/user_factory'
import processInboundMessageJob from '#jobs/process_inbound_message_job'
import { getQueue } from '#queue/queues'
import { sampleReply } from '#inbound/sample_messages'
import { generateReplyToken, inboundAddress } from '#inbound/inbound_addresses'
import { maskSecretPaths } from '#support/secret_paths'
import { processInboundMessage } from '#services/inbound/inbound_processing'
import { HOSTILE_CASES } from '#tests/helpers/hostile_mail'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  inboundDomainFor,
  sentRelanceEmailWithAddresses,
  TEST_INBOUND_DOMAIN,
} from '#tests/helpers/inbound'
import { countRows } from '#tests/helpers/rows'
import { queuedJobIds, resetState } from '#tests/helpers/state'
import { dayFromToday } from '#tests/helpers/calendar'

const SECRET = 'whsec-inbound-test-secret'
const PATH = '/api/v1/inbound/messages'

/** INBOUND_WEBHOOK_SECRET for a group's tests, unset after. */
function webhookSecretFor(group: { each: { setup(fn: () => () => void): void } }, secret = SECRET) {
  group.each.setup(() => {
    const previous = env.get('INBOUND_WEBHOOK_SECRET')
    env.set('INBOUND_WEBHOOK_SECRET', secret)
    return () => env.set('INBOUND_WEBHOOK_SECRET', previous ?? '')
  })
}

async function relancedInvoice() {
  const user = await UserFactory.merge({ checkinBeforeEachRelance: false }).create()
  const invoice = await createScheduledInvoice(user, {
    number: 'WH-1',
    clientEmail: 'compta@atelier-dupont.test',
    dueDate: dayFromToday(-10),
  })
  return { invoice, ...(await sentRelanceEmailWithAddresses([invoice])) }
}

const replyTo = (address: string) =>
  sampleReply({ from: 'compta@atelier-dupont.test', to: address, text: 'Paid yesterday.' }).raw

test.group('Inbound webhook', (group) => {
  group.each.setup(() => resetState())
  inboundDomainFor(group)
  webhookSecretFor(group)

  test('a raw reply posted with the secret is stored, answered 202 and processed from queue inbound', async ({
    client,
    assert,
  }) => {
    const { invoice, replyAddress } = await relancedInvoice()
    const response = await client
      .post(PATH)
      .qs({ recipient: replyAddress })
      .header('authorization', `Bearer ${SECRET}`)

      .unsafeJson(replyTo(replyAddress))
      .type('message/rfc822')

    response.assertStatus(202)
    response.assertBody({ data: { accepted: true } })
    const [row] = await db.from('inbound_messages')
    assert.equal(row.source, 'webhook')
    assert.equal(row.recipient, replyAddress)
    assert.isNull(row.processed_at)
    assert.deepEqual(await queuedJobIds('inbound'), [processInboundMessageJob.jobId(row.id)])

    const job = await getQueue('inbound').getJob(processInboundMessageJob.jobId(row.id))
    assert.equal(await processInboundMessageJob.handle(job!), 'processed')
    await invoice.refresh()
    assert.equal(invoice.holdReason, 'client_replied')
  })

  test('a wrong or missing secret is a 401 and stores nothing', async ({ client, assert }) => {
    const { replyAddress } = await relancedInvoice()
    for (const authorization of [
      `Bearer ${SECRET}x`,
      'Bearer ',
      SECRET,
      `Basic ${SECRET}`,
      undefined,
    ]) {
      const request = client.post(PATH).qs({ recipient: replyAddress })
      if (authorization !== undefined) request.header('authorization', authorization)
      const response = await request.unsafeJson(replyTo(replyAddress)).type('message/rfc822')
      response.assertStatus(401)
      response.assertHeader('www-authenticate', 'Bearer')
    }
    assert.equal(await countRows('inbound_messages'), 0)
  })

  test('a recipient that is no reply or bounce address of a relance email is a 422 naming it', async ({
    client,
    assert,
  }) => {
    await relancedInvoice()
    for (const recipient of [
      undefined,
      '',
      'not an address',
      inboundAddress('reply', generateReplyToken(), TEST_INBOUND_DOMAIN),
      inboundAddress('reply', generateReplyToken(), 'elsewhere.test'),
      'postmaster@inbound.relance.test',
      'x'.repeat(5_000),
    ]) {
      const request = client.post(PATH).header('authorization', `Bearer ${SECRET}`)
      if (recipient !== undefined) request.qs({ recipient })
      const response = await request
        .unsafeJson('From: a@b.test\r\n\r\nhello\r\n')
        .type('message/rfc822')
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, 'recipient', String(recipient))
    }
    assert.equal(await countRows('inbound_messages'), 0)
  })

  test('anything but an uncompressed message/rfc822 body is a 415; past 10 MB a 413', async ({
    client,
    assert,
  }) => {
    const { replyAddress } = await relancedInvoice()
    const post = () =>
      client.post(PATH).qs({ recipient: replyAddress }).header('authorization', `Bearer ${SECRET}`)
    const json = await post().json({ raw: 'From: a@b.test' })
    json.assertStatus(415)
    const gzipped = await post()
      .header('content-encoding', 'gzip')
      .unsafeJson('x')
      .type('message/rfc822')
    gzipped.assertStatus(415)
    const oversized = 'a'.repeat(10 * 1024 * 1024 + 1)
    const response = await post().unsafeJson(oversized).type('message/rfc822')
    response.assertStatus(413)
    assert.equal(await countRows('inbound_messages'), 0)
  })

  test('the hostile corpus through the webhook: each stored with 202, then read as the receiver’s', async ({
    client,
    assert,
  }) => {
    for (const hostile of HOSTILE_CASES) {
      await resetState()
      const { invoice, replyAddress } = await relancedInvoice()
      const response = await client
        .post(PATH)
        .qs({ recipient: replyAddress })
        .header('authorization', `Bearer ${SECRET}`)
        .unsafeJson(hostile.build(replyAddress))
        .type('message/rfc822')
      response.assertStatus(202)
      const row = await db.from('inbound_messages').firstOrFail()
      assert.equal(await processInboundMessage(row.id), 'processed', hostile.name)
      const processed = await db.from('inbound_messages').where('id', row.id).firstOrFail()
      assert.equal(processed.kind, hostile.kind, hostile.name)
      await invoice.refresh()
      assert.equal(
        invoice.holdReason,
        hostile.kind === 'reply' ? 'client_replied' : null,
        hostile.name
      )
    }
  })

  test('the reply address in the URL never reaches a log line', ({ assert }) => {
    const address = inboundAddress('reply', generateReplyToken(), TEST_INBOUND_DOMAIN)
    const masked = maskSecretPaths(`POST ${PATH}?recipient=${encodeURIComponent(address)}&x=1`)
    // No query string reaches a log line: the reply address with the rest
    assert.equal(masked, `POST ${PATH}?[query]`)
  })
})

test.group('Inbound webhook without its secret', (group) => {
  group.each.setup(() => resetState())
  inboundDomainFor(group)
  webhookSecretFor(group, '')

  test('the route is not there: 404, whatever is sent', async ({ client, assert }) => {
    const { replyAddress } = await relancedInvoice()
    const response = await client
      .post(PATH)
      .qs({ recipient: replyAddress })
      .header('authorization', 'Bearer ')

      .unsafeJson(replyTo(replyAddress))
      .type('message/rfc822')
    response.assertStatus(404)
    assert.equal(await countRows('inbound_messages'), 0)
    assert.lengthOf(await Invoice.query().whereNotNull('hold_reason'), 0)
  })
})
