import { BaseTransformer } from '@adonisjs/core/transformers'
import type { RelancePreview } from '#services/relances/relance_composer'

/** A relance as it would leave now: plain addresses, subject, text, its PDFs and its moment. */
export default class RelancePreviewTransformer extends BaseTransformer<RelancePreview> {
  toObject() {
    const { to, replyTo, subject, text, scheduledAt, attachments } = this.resource
    return { to, replyTo, subject, text, scheduledAt: scheduledAt.toISO(), attachments }
  }
}
