import { createConnection, type Socket } from 'node:net'
import { once } from 'node:events'
import { DateTime } from 'luxon'
import nodemailer from 'nodemailer'
import type Mail from 'nodemailer/lib/mailer/index.js'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import Relance from '#models/relance'
import type Invoice from '#models/invoice'
import { generateLinkToken, hashLinkToken } from '#support/link_tokens'
import { recordRelanceEmail } from '#services/relances/relance_emails'
import { generateReplyToken, inboundAddress } from '#inbound/inbound_addresses'
import { storeInboundMessage } from '#services/inbound/inbound_messages'
import { processInboundMessage } from '#services/inbound/inbound_processing'
import { AppProcess, freePort } from '#tests/helpers/app_processes'
import { waitFor } from '#tests/helpers/wait_for'

/** The inbound domain of the tests that turn inbound mail on. */
export const TEST_INBOUND_DOMAIN = 'inbound.relance.test'

/** Turns inbound mail on in this process for a group's tests (INBOUND_DOMAIN), off after. */
export function inboundDomainFor(group: { each: { setup(fn: () => () => void): void } }) {
  group.each.setup(() => {
    const previous = env.get('INBOUND_DOMAIN')
    env.set('INBOUND_DOMAIN', TEST_INBOUND_DOMAIN)
    return () => env.set('INBOUND_DOMAIN', previous ?? '')
  })
}

/**
 * Plays a relance email sent to the client of these invoices (of one
 * client), with the reply and bounce addresses it carried: its row, the
 * first relance of each invoice `sent` and pointing to it.
 */
export async function sentRelanceEmailWithAddresses(invoices: Invoice[], sentAt = DateTime.now()) {
  const token = generateReplyToken()
  const relances = await Relance.query()
    .whereIn(
      'invoice_id',
      invoices.map((invoice) => invoice.id)
    )
    .where('sequence', 1)
    .preload('invoice')
  const emailId = await db.transaction((trx) =>
    recordRelanceEmail(
      relances,
      {
        linkTokenHash: generateLinkToken().hashed,
        replyTokenHash: hashLinkToken(token),
        messageId: `<relance.test-${token}@${TEST_INBOUND_DOMAIN}>`,
      },
      trx
    )
  )
  await Relance.query()
    .whereIn(
      'id',
      relances.map((relance) => relance.id)
    )
    .update({ status: 'sent', sent_at: sentAt.toJSDate() })
  return {
    emailId,
    replyAddress: inboundAddress('reply', token, TEST_INBOUND_DOMAIN),
    bounceAddress: inboundAddress('bounce', token, TEST_INBOUND_DOMAIN),
  }
}

/** A raw message received for `address` and processed, as the receiver and the worker do it. */
export async function receiveAndProcess(address: string, raw: string | Buffer) {
  const [id] = await storeInboundMessage({
    recipients: [address],
    raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
    source: 'smtp',
    envelopeFrom: '',
  })
  if (id === undefined) throw new Error(`${address} is not a known address`)
  await processInboundMessage(id)
  return id
}

/** The inbound message row, as processing left it. */
export function inboundMessageRow(id: number) {
  return db.from('inbound_messages').where('id', id).firstOrFail()
}

/** The inbound receiver (`node ace inbound:serve`) on a free port; resolves once it listens. */
export async function startReceiver(overrides: Record<string, string> = {}) {
  const port = await freePort()
  const receiver = new AppProcess('inbound', {
    LOG_LEVEL: 'info',
    INBOUND_DOMAIN: TEST_INBOUND_DOMAIN,
    INBOUND_SMTP_HOST: '127.0.0.1',
    INBOUND_SMTP_PORT: String(port),
    ...overrides,
  })
  try {
    await receiver.waitForOutput('inbound receiver listening')
  } catch (error) {
    await receiver.stop('SIGKILL')
    throw error
  }
  return Object.assign(receiver, { port })
}

/** Sends a message to the receiver as a client's mail server would; resolves with its answer. */
export async function sendToReceiver(
  port: number,
  message: Mail.Options
): Promise<{ accepted: string[]; rejected: string[]; response: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true })
  try {
    const info = await transport.sendMail(message)
    return {
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
    }
  } finally {
    transport.close()
  }
}

/** The SMTP code a refused message got (550, 552…). */
export async function refusalOf(port: number, message: Mail.Options): Promise<number> {
  try {
    await sendToReceiver(port, message)
  } catch (error) {
    return (error as { responseCode: number }).responseCode
  }
  throw new Error('the receiver took the message')
}

/**
 * An SMTP session typed by hand, one command at a time: for what a mail
 * library does in one go (a signal between DATA and its end).
 */
export class RawSmtpSession {
  #socket: Socket
  #received = ''

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk) => (this.#received += chunk))
  }

  static async open(port: number) {
    const socket = createConnection({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    const session = new RawSmtpSession(socket)
    await session.reply()
    return session
  }

  /** The next complete reply, every line of it (EHLO's are many), removed from what was received. */
  reply(): Promise<string> {
    return waitFor('an SMTP reply', () => {
      const match = /^\d{3} .*\r\n/m.exec(this.#received)
      if (!match) return undefined
      const end = match.index + match[0].length
      const reply = this.#received.slice(0, end).trim()
      this.#received = this.#received.slice(end)
      return reply
    })
  }

  write(data: string) {
    this.#socket.write(data)
  }

  /** Sends a command and resolves with its reply. */
  async command(line: string) {
    this.write(`${line}\r\n`)
    return this.reply()
  }

  close() {
    this.#socket.destroy()
  }
}
