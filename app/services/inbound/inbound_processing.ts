import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { QuotedReply } from '#models/checkin_task'
import { readInboundMail, type InboundMail } from '#inbound/inbound_mail'
import { classifyInboundMail, type Classification, type InboundKind } from '#inbound/classification'
import { excerptOf, safeLine } from '#inbound/reply_text'
import { inboundMessages } from '#metrics/metrics'
import { loadInboundContext, type InboundContext } from '#services/inbound/inbound_context'
import { recordAutomaticReply, recordClientReply } from '#services/inbound/client_replies'
import { recordInboundBounce } from '#services/inbound/inbound_bounces'

/**
 * A client's replies reach the freelancer at most this many times a day
 * (the last 24 hours): past it, they still hold the relances and reach the
 * feed, but send nothing. Nobody is flooded, whoever holds a reply address.
 */
export const REPLY_EMAILS_PER_CLIENT_PER_DAY = 5

/** What processing read in a message and did, kept on its row. */
type Summary = Record<string, unknown> & { outcome?: string; notified?: boolean }

/**
 * Processes one stored message, once: the row is locked, classified, its
 * effects applied and the row marked processed in one transaction, so a
 * retried or rebuilt job finds it done. A message whose relance email is
 * gone is only classified.
 */
export async function processInboundMessage(messageId: number): Promise<'processed' | 'skipped'> {
  let kind: InboundKind | null = null
  await db.transaction(async (trx) => {
    const row = await trx
      .from('inbound_messages')
      .select('id', 'recipient', 'raw', 'relance_email_id')
      .where('id', messageId)
      .whereNull('processed_at')
      .whereNull('failed_at')
      .forUpdate()
      .first()
    if (!row) return
    const mail = await readInboundMail(row.raw)
    const classification = classifyInboundMail(
      mail,
      row.recipient.startsWith('bounce+') ? 'bounce' : 'reply'
    )
    const summary = summaryOf(mail, classification)
    const context = row.relance_email_id
      ? await loadInboundContext(row.relance_email_id, trx)
      : null
    Object.assign(
      summary,
      context
        ? await apply(row.id, mail, classification, context, trx)
        : { outcome: 'its relance email is gone' }
    )
    const now = new Date()
    await trx
      .from('inbound_messages')
      .where('id', row.id)
      .update({
        kind: classification.kind,
        summary: JSON.stringify(summary),
        processed_at: now,
        updated_at: now,
      })
    kind = classification.kind
  })
  if (!kind) return 'skipped'
  inboundMessages.inc({ kind })
  return 'processed'
}

async function apply(
  rowId: number,
  mail: InboundMail,
  classification: Classification,
  context: InboundContext,
  trx: TransactionClientContract
): Promise<Summary> {
  const duplicateOf = await sameMessageBefore(rowId, mail, context, trx)
  if (duplicateOf) return { outcome: 'the same message was processed already', duplicateOf }
  switch (classification.kind) {
    case 'reply': {
      const notify =
        (await repliesNotifiedToday(context.email.clientId, trx)) < REPLY_EMAILS_PER_CLIENT_PER_DAY
      const reply = quotedReply(rowId, mail, classification)
      const { held, notified } = await recordClientReply(
        context,
        { ...reply, excerpt: excerptOf(reply.text) || reply.attachments.join(', ') },
        { notify },
        trx
      )
      return {
        outcome: held.length > 0 ? `held invoice(s) ${held.join(', ')}` : 'every invoice settled',
        notified,
      }
    }
    case 'auto_reply':
      await recordAutomaticReply(
        context,
        { subject: safeLine(mail.subject, 200), marker: classification.marker, messageId: rowId },
        trx
      )
      return { outcome: 'recorded in the feed' }
    case 'bounce':
      return { outcome: await recordInboundBounce(context, classification, trx) }
    case 'unknown':
      return { outcome: 'nothing to do' }
  }
}

/** The reply as the freelancer reads it: what it says of itself, shown, never trusted. */
function quotedReply(
  rowId: number,
  mail: InboundMail,
  reply: Extract<Classification, { kind: 'reply' }>
): QuotedReply {
  return {
    messageId: rowId,
    from: safeLine(
      mail.from
        ? mail.from.name
          ? `${mail.from.name} <${mail.from.address}>`
          : mail.from.address
        : (mail.headers.get('from') ?? '')
    ),
    date: mail.date ? DateTime.fromJSDate(mail.date).toISO() : null,
    subject: safeLine(mail.subject, 300),
    text: reply.text,
    truncated: reply.truncated,
    attachments: mail.attachments
      .flatMap((attachment) => (attachment.filename ? [safeLine(attachment.filename, 120)] : []))
      .slice(0, 20),
  }
}

function summaryOf(mail: InboundMail, classification: Classification): Summary {
  const { kind, ...details } = classification
  return {
    messageId: mail.messageId ? safeLine(mail.messageId, 300) : null,
    from: mail.from?.address ?? null,
    subject: safeLine(mail.subject, 300),
    date: mail.date?.toISOString() ?? null,
    // The reply's text stays in the raw message; the row keeps what it says in short
    ...(kind === 'reply'
      ? { excerpt: excerptOf((details as { text: string }).text) }
      : (details as Record<string, unknown>)),
  }
}

/**
 * An earlier row of the same relance email with the same Message-ID (a
 * provider retrying its webhook, a message sent twice): processed once.
 */
async function sameMessageBefore(
  rowId: number,
  mail: InboundMail,
  context: InboundContext,
  trx: TransactionClientContract
): Promise<number | null> {
  if (!mail.messageId) return null
  const earlier = await trx
    .from('inbound_messages')
    .select('id')
    .where('relance_email_id', context.email.id)
    .whereNot('id', rowId)
    .whereNotNull('processed_at')
    .whereRaw("summary->>'messageId' = ?", [safeLine(mail.messageId, 300)])
    .whereRaw("summary->>'duplicateOf' IS NULL")
    .first()
  return earlier?.id ?? null
}

/** How many of the client's replies reached the freelancer in the last 24 hours. */
async function repliesNotifiedToday(clientId: number, trx: TransactionClientContract) {
  const [{ total }] = await trx
    .from('inbound_messages')
    .join('relance_emails', 'relance_emails.id', 'inbound_messages.relance_email_id')
    .where('relance_emails.client_id', clientId)
    .where('inbound_messages.received_at', '>', new Date(Date.now() - 24 * 3_600_000))
    .whereRaw("inbound_messages.summary->>'notified' = 'true'")
    .count('* as total')
  return Number(total)
}
