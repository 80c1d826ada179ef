import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { AddressInfo } from 'node:net'
import { waitFor } from '#tests/helpers/wait_for'

/**
 * A real SMTP server on a free loopback port that keeps what it receives,
 * parsed. It can refuse mail for a while to play an SMTP outage.
 */
export class SmtpInbox {
  readonly messages: ParsedMail[] = []
  /** While set, every message is refused with this SMTP code. */
  refuseWith: number | null = null
  #server: SMTPServer

  private constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        if (this.refuseWith) {
          stream.resume()
          const error = Object.assign(new Error('Refused by the test inbox'), {
            responseCode: this.refuseWith,
          })
          return stream.on('end', () => callback(error))
        }
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail)
            callback()
          })
          .catch(callback)
      },
    })
  }

  static async start(): Promise<SmtpInbox> {
    const inbox = new SmtpInbox()
    await new Promise<void>((resolve) => inbox.#server.listen(0, '127.0.0.1', resolve))
    return inbox
  }

  get port(): number {
    return (this.#server.server.address() as AddressInfo).port
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

  close() {
    return new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/** The check-in token in a check-in email's paid link. */
export function checkinTokenFrom(mail: ParsedMail): string {
  const match = /\/api\/v1\/checkin\/([A-Za-z0-9_-]+)\/paid/.exec(mail.text ?? '')
  if (!match) throw new Error('No check-in link in this email')
  return match[1]
}
