import { BaseMail } from '@adonisjs/mail'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'
import type { RenderedRelance } from '#mails/relance_content'
import { documentBytes } from '#services/documents/document_storage'

/**
 * A reminder to the client, sent in the freelancer's name: visible sender
 * "<full name> via Relance", replies to the freelancer, or to the email's
 * own reply address (INBOUND_DOMAIN), whose bounces come back to its own
 * envelope sender. Its text comes from `renderRelance`, the function the
 * preview shows too.
 */
export default class RelanceMail extends BaseMail {
  constructor(private readonly relance: RenderedRelance) {
    super()
  }

  async prepare() {
    const { relance } = this
    this.message
      .from(env.get('MAIL_FROM_ADDRESS'), relance.senderName)
      .to(relance.to, relance.toName)
      .replyTo(relance.replyTo, relance.replyToName)
      .subject(relance.subject)
      .text(relance.text)
    if (relance.envelopeFrom) {
      this.message.envelope({ from: relance.envelopeFrom, to: [relance.to] })
    }
    if (relance.messageId) this.message.messageId(relance.messageId)
    // The invoices' PDFs, read as the email leaves; one gone from storage is left out
    // (and logged) rather than holding the relance back
    for (const { filename, path } of relance.attachments) {
      const bytes = await documentBytes(path)
      if (bytes) {
        this.message.attachData(Buffer.from(bytes), { filename, contentType: 'application/pdf' })
      } else {
        logger.warn({ path }, 'a relance goes without the PDF it lists: the file is gone')
      }
    }
  }
}
