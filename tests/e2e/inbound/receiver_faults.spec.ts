import { test } from '@japa/runner'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#database/factories/user_factory'
import { sampleReply } from '#inbound/sample_messages'
import { probeSmtpReceiver } from '#inbound/receiver_probe'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  RawSmtpSession,
  sendToReceiver,
  sentRelanceEmailWithAddresses,
  startReceiver,
  TEST_INBOUND_DOMAIN,
} from '#tests/helpers/inbound'
import { processSceneForEach } from '#tests/helpers/running_app'
import type { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { selfSignedCertificate } from '#tests/helpers/certificates'
import { countRows } from '#tests/helpers/rows'
import { dropQueueKeys, queuedJobIds } from '#tests/helpers/state'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

/** A freelancer whose relance to a client went out, and the reply that client sends. */
async function relanceAnsweredBy(freelancer: string, number: string) {
  const user = await UserFactory.merge({
    email: freelancer,
    checkinBeforeEachRelance: false,
  }).create()
  const invoice = await createScheduledInvoice(user, {
    number,
    clientEmail: `compta-${number.toLowerCase()}@client.test`,
    dueDate: dayFromToday(-10),
  })
  const { replyAddress } = await sentRelanceEmailWithAddresses([invoice])
  const words = `Paid ${number} yesterday.`
  const message = sampleReply({
    from: `compta-${number.toLowerCase()}@client.test`,
    to: replyAddress,
    text: words,
  })
  return { ...message, freelancer, words }
}

/**
 * Once every stored message is processed: each held its invoice once, and
 * its freelancer read the reply once (the invoice's own check-in may go
 * too, or share the email: the reply's words appear once).
 */
async function assertProcessedOnce(
  inbox: SmtpInbox,
  replies: { freelancer: string; words: string }[]
) {
  await waitFor(
    'every inbound message processed',
    async () => {
      const [{ unprocessed }] = await db
        .from('inbound_messages')
        .whereNull('processed_at')
        .count('* as unprocessed')
      return Number(unprocessed) === 0
    },
    { timeoutMs: 30_000 }
  )
  const quoting = (reply: { freelancer: string; words: string }) =>
    inbox.to(reply.freelancer).filter((mail) => mail.text?.includes(reply.words)).length
  for (const reply of replies) {
    await waitFor(`the reply quoted to ${reply.freelancer}`, () => quoting(reply) === 1, {
      timeoutMs: 20_000,
    })
  }
  await holdsFor(
    'each message processed once',
    async () =>
      replies.every((reply) => quoting(reply) === 1) &&
      (await countRows('activity_events', { type: 'client_replied' })) === replies.length &&
      (await countRows('checkin_tasks', { reason: 'client_replied' })) === replies.length,
    { forMs: 1_500 }
  )
}

test.group('Faults: the receiver dies, Redis forgets', (group) => {
  const scene = processSceneForEach(group)
  const workerEnv = {
    INBOUND_DOMAIN: TEST_INBOUND_DOMAIN,
    CHECKIN_PAST_DUE_DELAY_MS: '200',
    QUEUE_RECONCILE_GRACE_SECONDS: '0',
    QUEUE_RECONCILE_INTERVAL_MS: '300',
  }

  test('SIGKILL right after 250 loses nothing: the message is processed once after a restart', async ({
    assert,
  }) => {
    const reply = await relanceAnsweredBy('killed@example.test', 'KIL-1')
    const receiver = scene.track(await startReceiver())
    const answer = await sendToReceiver(receiver.port, reply)
    assert.match(answer.response, /^250/)
    await receiver.stop('SIGKILL')
    assert.equal(await countRows('inbound_messages', { processed_at: null }), 1)

    // Back up, with a worker: the message is there, whether or not its job made it to Redis
    scene.track(await startReceiver())
    await scene.startWorker(workerEnv)
    await assertProcessedOnce(scene.inbox, [reply])
  })

  test('Redis flushed with messages queued: each is processed once', async ({ assert }) => {
    const receiver = scene.track(await startReceiver())
    const replies = []
    for (const n of [1, 2, 3]) {
      const reply = await relanceAnsweredBy(`flush-${n}@example.test`, `FLU-${n}`)
      await sendToReceiver(receiver.port, reply)
      replies.push(reply)
    }
    assert.lengthOf(await queuedJobIds('inbound'), 3)
    await dropQueueKeys()

    await scene.startWorker(workerEnv)
    await assertProcessedOnce(scene.inbox, replies)
  })

  test('SIGTERM: the receiver stores and answers the message in hand, then exits', async ({
    assert,
  }) => {
    const reply = await relanceAnsweredBy('graceful@example.test', 'TRM-1')
    const receiver = scene.track(await startReceiver())
    const session = await RawSmtpSession.open(receiver.port)
    await session.command('EHLO client.test')
    await session.command(`MAIL FROM:<${reply.envelope.from}>`)
    assert.match(await session.command(`RCPT TO:<${reply.envelope.to}>`), /^250/)
    assert.match(await session.command('DATA'), /^354/)
    const [head, body] = reply.raw.split('\r\n\r\n')
    session.write(`${head}\r\n\r\n`)

    // The signal comes with the message half received: it is finished, stored and answered
    const exit = receiver.stop('SIGTERM')
    await waitFor('the receiver to refuse new connections', async () => {
      const probe = await probeSmtpReceiver('127.0.0.1', receiver.port, 500)
      return !probe.up
    })
    session.write(`${body}\r\n.\r\n`)
    assert.match(await session.reply(), /^250/)
    session.close()
    assert.equal(await exit, 0)
    assert.equal(await countRows('inbound_messages'), 1)
  })

  test('with a key and a certificate the receiver offers STARTTLS; without, it offers none', async ({
    assert,
    cleanup,
  }) => {
    const reply = await relanceAnsweredBy('tls@example.test', 'TLS-1')
    const dir = await mkdtemp(join(tmpdir(), 'relance-inbound-tls-'))
    cleanup(() => rm(dir, { recursive: true, force: true }))
    const certificate = await selfSignedCertificate(dir)
    const secure = scene.track(
      await startReceiver({
        INBOUND_TLS_KEY: join(dir, 'key.pem'),
        INBOUND_TLS_CERT: certificate.certPath,
      })
    )
    assert.include(secure.output, 'STARTTLS on')
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: secure.port,
      requireTLS: true,
      tls: { ca: certificate.cert, servername: 'localhost' },
    })
    try {
      const info = await transport.sendMail(reply)
      assert.match(info.response, /^250/)
    } finally {
      transport.close()
    }
    assert.equal(await countRows('inbound_messages'), 1)

    const plain = scene.track(await startReceiver())
    const session = await RawSmtpSession.open(plain.port)
    const capabilities = await session.command('EHLO client.test')
    session.close()
    assert.notInclude(capabilities, 'STARTTLS')
    assert.include(plain.output, 'STARTTLS off')
  })
})
