import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

type DevInboxEmail = {
  id: string
  to?: { address: string }[]
  subject?: string
  time?: string
}

/**
 * Sends a reply, an out-of-office or a bounce to the local inbound
 * receiver, as a client's mail system would: the dev inbox cannot answer
 * a relance. Without an address, it answers the newest relance in the dev
 * inbox (maildev, as `npm run dev` starts it).
 */
export default class InboundSendTest extends BaseCommand {
  static commandName = 'inbound:send-test'
  static description =
    'Send a reply (or an out-of-office, or a bounce) to a relance email, through the local inbound receiver'
  static options: CommandOptions = { startApp: true }

  @args.string({
    description:
      'The relance email’s Reply-To (reply+<token>@…); default: the newest in the dev inbox',
    required: false,
  })
  declare address?: string

  @flags.string({ description: 'reply, auto-reply or bounce', default: 'reply' })
  declare kind: string

  @flags.string({
    description: 'The reply’s text',
    default: 'Hello, we paid this invoice on Monday.',
  })
  declare text: string

  @flags.string({
    description: 'A bounce’s status code (5.x.x for good, 4.x.x a delay)',
    default: '5.1.1',
  })
  declare status: string

  @flags.string({
    description: 'The client’s address (default: the To of the relance in the dev inbox)',
  })
  declare client?: string

  async run() {
    const { default: env } = await import('#start/env')
    const { default: nodemailer } = await import('nodemailer')
    const { parseInboundAddress, inboundAddress } = await import('#inbound/inbound_addresses')
    const samples = await import('#inbound/sample_messages')
    const domain = env.get('INBOUND_DOMAIN')
    if (!domain)
      return this.#fail('INBOUND_DOMAIN is not set: relance emails carry no reply address')
    if (!['reply', 'auto-reply', 'bounce'].includes(this.kind)) {
      return this.#fail(`--kind must be reply, auto-reply or bounce (got "${this.kind}")`)
    }

    let address = this.address
    let client = this.client
    if (!address) {
      const relance = await this.#newestRelance(env.get('DEV_INBOX_PORT', 8025), domain)
      if (!relance) {
        return this.#fail(
          `no relance with a reply+…@${domain} address in the dev inbox: pass the address, or run npm run dev and node ace db:seed first`
        )
      }
      address = relance.replyTo
      client ??= relance.to
      this.logger.info(`answering "${relance.subject}" to ${client}`)
    }
    const parsed = parseInboundAddress(address, domain)
    if (!parsed) return this.#fail(`${address} is not a reply or bounce address at ${domain}`)
    const clientAddress = client ?? 'client@example.test'

    const message =
      this.kind === 'bounce'
        ? samples.sampleBounce({
            to: inboundAddress('bounce', parsed.token, domain),
            failedRecipient: clientAddress,
            status: this.status,
          })
        : this.kind === 'auto-reply'
          ? samples.sampleOutOfOffice({
              from: clientAddress,
              to: inboundAddress('reply', parsed.token, domain),
            })
          : samples.sampleReply({
              from: clientAddress,
              to: inboundAddress('reply', parsed.token, domain),
              text: this.text,
            })
    const host = env.get('INBOUND_SMTP_HOST', '127.0.0.1')
    const port = env.get('INBOUND_SMTP_PORT', 2525)
    const transport = nodemailer.createTransport({
      host,
      port,
      secure: false,
      // A local receiver's certificate is often self-signed
      tls: { rejectUnauthorized: false },
    })
    try {
      const info = await transport.sendMail({ envelope: message.envelope, raw: message.raw })
      this.logger.success(`${this.kind} sent to ${message.envelope.to}: ${info.response}`)
    } catch (error) {
      return this.#fail(`the receiver at ${host}:${port} refused it: ${(error as Error).message}`)
    } finally {
      transport.close()
    }
  }

  /**
   * The newest email of the dev inbox (maildev) with a reply address at the
   * domain: its list has no Reply-To, each message's raw source has.
   */
  async #newestRelance(inboxPort: number, domain: string) {
    const inbox = `http://127.0.0.1:${inboxPort}/api/email`
    let emails: DevInboxEmail[]
    try {
      const response = await fetch(inbox, { signal: AbortSignal.timeout(5_000) })
      emails = (await response.json()) as DevInboxEmail[]
    } catch {
      return null
    }
    const address = new RegExp(`reply\\+[a-z2-7]{32}@${domain.replaceAll('.', '\\.')}`, 'i')
    const newestFirst = [...emails].sort(
      (a, b) => Date.parse(b.time ?? '') - Date.parse(a.time ?? '')
    )
    for (const email of newestFirst.slice(0, 50)) {
      const source = await fetch(`${inbox}/${email.id}/source`).then((response) => response.text())
      const header = /^reply-to:.*(?:\r?\n[ \t].*)*/im.exec(source)?.[0] ?? ''
      const replyTo = address.exec(header)?.[0]
      if (replyTo) {
        return { replyTo, to: email.to?.[0]?.address ?? '', subject: email.subject ?? '' }
      }
    }
    return null
  }

  #fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
  }
}
