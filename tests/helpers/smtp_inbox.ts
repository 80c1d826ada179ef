import { setTimeout as sleep } from 'node:timers/promises'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { AddressInfo } from 'node:net'
import { waitFor } from '#tests/helpers/wait_for'
import { checkinTokenFromText } from '#tests/helpers/checkin_links'

function recipientsOf(session: SMTPServerSession): string[] {
  return session.envelope.rcptTo.map((recipient) => recipient.address)
}

/**
 * A real SMTP server on a free loopback port that keeps what it receives,
 * parsed. It can refuse mail for a while to play an SMTP outage, and answer
 * slowly to keep sends in flight.
 */
export class SmtpInbox {
  readonly messages: ParsedMail[] = []
  /** The SMTP envelope each message came with (MAIL FROM, RCPT TO). */
  readonly #envelopes = new WeakMap<ParsedMail, { from: string; to: string[] }>()
  /** While set, every message is refused with this SMTP code. */
  refuseWith: number | null = null
  /** The envelope recipients of every message refused while `refuseWith` was set. */
  readonly refused: string[] = []
  /**
   * How long each message waits, once received, before the server accepts
   * it. A client that hangs up meanwhile never hears the acceptance, so its
   * message is not kept.
   */
  delayMs = 0
  /** Messages being received or waiting out `delayMs`: sends in flight. */
  inFlight = 0
  readonly #closedSessions = new Set<string>()
  #server: SMTPServer

  private constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onClose: (session) => {
        this.#closedSessions.add(session.id)
      },
      onData: (stream, session, callback) => {
        if (this.refuseWith) {
          this.refused.push(...recipientsOf(session))
          stream.resume()
          const error = Object.assign(new Error('Refused by the test inbox'), {
            responseCode: this.refuseWith,
          })
          return stream.on('end', () => callback(error))
        }
        this.inFlight++
        simpleParser(stream)
          .then(async (mail) => {
            if (this.delayMs > 0) {
              await sleep(this.delayMs)
              if (this.#closedSessions.has(session.id)) {
                return callback(new Error('The client hung up before the answer'))
              }
            }
            this.#envelopes.set(mail, {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: recipientsOf(session),
            })
            this.messages.push(mail)
            callback()
          })
          .catch(callback)
          .finally(() => this.inFlight--)
      },
    })
  }

  static async start(): Promise<SmtpInbox> {
    const inbox = new SmtpInbox()
    // A client SIGKILLed mid-message resets its connection: smtp-server reports it as an
    // 'error' of the server, which unheard would be an uncaught exception of the test run
    inbox.#server.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error
    })
    await new Promise<void>((resolve) => inbox.#server.listen(0, '127.0.0.1', resolve))
    return inbox
  }

  get port(): number {
    return (this.#server.server.address() as AddressInfo).port
  }

  /** The envelope a received message came with: its sender is where bounces go. */
  envelopeOf(mail: ParsedMail) {
    const envelope = this.#envelopes.get(mail)
    if (!envelope) throw new Error('not a message of this inbox')
    return envelope
  }

  /** How many messages each recipient got, by address. */
  countsByRecipient(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const mail of this.messages) {
      for (const address of [mail.to ?? []].flat().flatMap((to) => to.value)) {
        if (address.address) counts.set(address.address, (counts.get(address.address) ?? 0) + 1)
      }
    }
    return counts
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((mail) =>
      [mail.to ?? []].flat().some((to) => to.value.some((entry) => entry.address === address))
    )
  }

  waitForMessageTo(address: string, options?: { timeoutMs?: number; count?: number }) {
    const count = options?.count ?? 1
    return waitFor(
      `${count} email(s) to ${address}`,
      () => {
        const received = this.to(address)
        return received.length >= count ? received : undefined
      },
      { timeoutMs: options?.timeoutMs ?? 20_000 }
    )
  }

  clear() {
    this.messages.length = 0
  }

  /** Removes a message once the test has acted on it (a verification email). */
  take(mail: ParsedMail) {
    this.messages.splice(this.messages.indexOf(mail), 1)
  }

  close() {
    return new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/** The check-in token in a check-in email's paid link. */
export function checkinTokenFrom(mail: Pick<ParsedMail, 'text'>): string {
  return checkinTokenFromText(mail.text ?? '')
}

/** The verification link of a verification email. */
export function verificationLinkFrom(mail: ParsedMail): string {
  const match = /(https?:\/\/\S+\/api\/v1\/auth\/verify-email\/[A-Za-z0-9_-]+)/.exec(
    mail.text ?? ''
  )
  if (!match) throw new Error('No verification link in this email')
  return match[1]
}
