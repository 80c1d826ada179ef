import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server'
import type { AddressInfo } from 'node:net'

/**
 * The inbound SMTP receiver: takes mail for the reply and bounce addresses
 * of relance emails, nothing else (it never relays), and answers `250`
 * only once `store` has committed the raw message. What an address is
 * worth and where a message goes are the caller's (app/services/inbound):
 * this is SMTP alone.
 */

/** What the receiver stores: the raw bytes and who it was for. */
export type ReceivedMessage = {
  recipients: string[]
  /** The envelope sender; '' for the null sender of a bounce. */
  envelopeFrom: string
  raw: Buffer
}

export type ReceiverLog = {
  info(message: string): void
  warn(message: string): void
}

export type InboundReceiverOptions = {
  host: string
  port: number
  /** The one domain mail is accepted for. */
  domain: string
  /** The largest message accepted, in bytes (10 MB). */
  maxBytes: number
  /** Whether an address at the domain is a known reply or bounce address (RCPT TO). */
  accepts(address: string): Promise<boolean>
  /** Commits the message (one row per recipient); resolves once it is durable. */
  store(message: ReceivedMessage): Promise<void>
  /** PEM key and certificate: STARTTLS is offered with both. */
  tls?: { key: Buffer; cert: Buffer }
  /** Messages read and stored at once; further DATA waits, held back by TCP. */
  concurrentMessages?: number
  log: ReceiverLog
}

/** Recipients per message: a reply goes to one address, rarely a handful. */
const MAX_RECIPIENTS = 10

function smtpError(responseCode: number, message: string) {
  return Object.assign(new Error(message), { responseCode })
}

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
class Slots {
  #free: number
  #waiting: (() => void)[] = []
  constructor(size: number) {
    this.#free = size
  }
  async take() {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }
  give() {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}

export class InboundReceiver {
  readonly #server: SMTPServer
  readonly #slots: Slots
  /** Messages between DATA and their answer: what a graceful stop waits for. */
  #inHand = 0
  #idle: (() => void)[] = []
  stored = 0

  constructor(private readonly options: InboundReceiverOptions) {
    this.#slots = new Slots(options.concurrentMessages ?? 4)
    const { tls } = options
    this.#server = new SMTPServer({
      name: options.domain,
      banner: 'Relance inbound mail',
      size: options.maxBytes,
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      hideSTARTTLS: !tls,
      hideENHANCEDSTATUSCODES: false,
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      maxClients: 200,
      socketTimeout: 60_000,
      closeTimeout: 30_000,
      logger: false,
      onMailFrom: (address, _session, callback) => {
        const declared = Number(address.args && (address.args as Record<string, string>).SIZE)
        if (declared > options.maxBytes) {
          return callback(smtpError(552, `Message size exceeds the ${this.#limitText} limit`))
        }
        callback()
      },
      onRcptTo: (address, session, callback) =>
        this.#checkRecipient(address.address, session, callback),
      onData: (stream, session, callback) => this.#receive(stream, session, callback),
    })
    this.#server.on('error', (error) => options.log.warn(`inbound SMTP: ${error.message}`))
  }

  get #limitText() {
    return `${Math.round(this.options.maxBytes / 1024 / 1024)} MB`
  }

  #checkRecipient(address: string, session: SMTPServerSession, callback: (error?: Error) => void) {
    if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) {
      return callback(smtpError(452, 'Too many recipients'))
    }
    this.options.accepts(address).then(
      (known) => callback(known ? undefined : smtpError(550, 'No such recipient here')),
      (error: Error) => {
        this.options.log.warn(`inbound SMTP: recipient check failed: ${error.message}`)
        callback(smtpError(451, 'Temporary failure, try again later'))
      }
    )
  }

  /**
   * Reads the message once a slot is free (until then TCP holds the
   * sender back, so memory stays bounded), refuses it past the size limit,
   * stores it, and only then answers 250.
   */
  #receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void
  ) {
    this.#inHand++
    const finish = (error?: Error) => {
      callback(error ?? null)
      if (--this.#inHand === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
    this.#slots
      .take()
      .then(async () => {
        try {
          const raw = await this.#read(stream)
          if (!raw)
            return finish(smtpError(552, `Message size exceeds the ${this.#limitText} limit`))
          await this.options.store({
            recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            raw,
          })
          this.stored++
          finish()
        } catch (error) {
          this.options.log.warn(`inbound SMTP: message not stored: ${(error as Error).message}`)
          finish(smtpError(451, 'Temporary failure, try again later'))
        } finally {
          this.#slots.give()
        }
      })
      .catch((error) => finish(error))
  }

  /** The message's bytes, or null past the size limit (the rest is drained, not kept). */
  #read(stream: SMTPServerDataStream): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      let chunks: Buffer[] | null = []
      let length = 0
      stream.on('data', (chunk: Buffer) => {
        length += chunk.length
        if (length > this.options.maxBytes) chunks = null
        chunks?.push(chunk)
      })
      stream.once('error', reject)
      stream.once('end', () => {
        const kept = chunks
        chunks = null
        resolve(kept && !stream.sizeExceeded ? Buffer.concat(kept, length) : null)
      })
    })
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.server.once('error', reject)
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.server.off('error', reject)
        resolve(this.#server.server.address() as AddressInfo)
      })
    })
  }

  /**
   * Stops taking connections, lets every message in hand be stored and
   * answered, then closes the sessions left (idle ones hear `421`).
   */
  async close() {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    if (this.#inHand > 0) await new Promise<void>((resolve) => this.#idle.push(resolve))
    const sessions = (this.#server as unknown as { connections: Set<SessionConnection> })
      .connections
    for (const connection of sessions) {
      connection.send(421, 'Server shutting down')
      connection.close()
    }
    await closed
  }
}

type SessionConnection = { send(code: number, message: string): void; close(): void }
