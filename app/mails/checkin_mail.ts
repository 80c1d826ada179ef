import { BaseMail } from '@adonisjs/mail'
import { displayName } from '#mails/display_name'
import { urlFor } from '@adonisjs/core/services/url_builder'
import env from '#start/env'
import { DateTime } from 'luxon'
import CheckinTask, { type CheckinReason, type ClientSignal } from '#models/checkin_task'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type User from '#models/user'
import {
  CHECKIN_DIGEST_TEXTS,
  CHECKIN_MAIL_TEXTS,
  REPLY_CHECKIN_MAIL_TEXTS,
  SIGNAL_CHECKIN_MAIL_TEXTS,
  type CheckinInvoiceValues,
  type QuotedReplyValues,
  type SignalValues,
} from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration, formatShortDate } from '#mails/formatting'
import { quotedReplyLines } from '#mails/quoted_reply'

/** The absolute paid and pending links of a check-in token. */
export function checkinUrls(plainToken: string) {
  const prefixUrl = env.get('APP_URL').replace(/\/+$/, '')
  return {
    paidUrl: urlFor('checkin.paid', { token: plainToken }, { prefixUrl }),
    pendingUrl: urlFor('checkin.pending', { token: plainToken }, { prefixUrl }),
  }
}

/** One invoice of a check-in email and the plain token of its own task. */
export type CheckinEntry = {
  invoice: Pick<Invoice, 'number' | 'amountCents' | 'currency' | 'dueDate'>
  client: Pick<Client, 'name' | 'email'>
  plainToken: string
  /** Why: the due date or a relance ahead (by default), or what a client said. */
  reason?: CheckinReason
  signal?: ClientSignal | null
  /** When a signal's links stop working. */
  expiresAt?: DateTime | null
}

/** The freelancer a check-in email goes to. */
export type CheckinRecipient = Pick<User, 'email' | 'fullName' | 'locale' | 'timezone'>

/** A client's signal in the freelancer's words and zone; null for a routine check-in. */
function signalValues(entry: CheckinEntry, user: CheckinRecipient): SignalValues | null {
  const { reason, signal, expiresAt } = entry
  if ((reason !== 'payment_reported' && reason !== 'client_replied') || !expiresAt) return null
  const paidOn = typeof signal?.paidOn === 'string' ? DateTime.fromISO(signal.paidOn) : null
  return {
    reason,
    paidOn: paidOn?.isValid ? formatShortDate(paidOn, user.locale) : null,
    // A reply is quoted whole, once: no excerpt beside each invoice
    note: typeof signal?.note === 'string' && signal.note && !signal.reply ? signal.note : null,
    until: formatDate(expiresAt.setZone(user.timezone), user.locale),
  }
}

/**
 * The replies these check-ins quote, each once, with the invoices it is
 * about, in the order of the entries.
 */
function repliesOf(
  checkins: CheckinEntry[],
  invoices: CheckinInvoiceValues[],
  user: CheckinRecipient
) {
  const replies = new Map<
    number,
    QuotedReplyValues & { email: string; invoices: typeof invoices }
  >()
  checkins.forEach((entry, index) => {
    const reply = entry.reason === 'client_replied' ? entry.signal?.reply : undefined
    if (!reply) return
    let quoted = replies.get(reply.messageId)
    if (!quoted) {
      quoted = {
        clientName: entry.client.name,
        email: entry.client.email,
        invoiceNumbers: [],
        invoices: [],
        quote: quotedReplyLines(reply, user),
      }
      replies.set(reply.messageId, quoted)
    }
    quoted.invoiceNumbers.push(entry.invoice.number)
    quoted.invoices.push(invoices[index])
  })
  return [...replies.values()]
}

/**
 * "Have you been paid?", to the freelancer (never the client), in the
 * freelancer's language: one invoice, or a digest of several, each with the
 * two one-click links of its own task. A client's reply is quoted as text;
 * when one client replied, replies to this email go to that client.
 */
export default class CheckinMail extends BaseMail {
  constructor(
    private readonly user: CheckinRecipient,
    private readonly checkins: CheckinEntry[]
  ) {
    super()
  }

  prepare() {
    const { user } = this
    const invoices = this.checkins.map((entry) => ({
      invoiceNumber: entry.invoice.number,
      clientName: entry.client.name,
      amount: formatAmount(entry.invoice.amountCents, entry.invoice.currency, user.locale),
      dueDate: formatDate(entry.invoice.dueDate, user.locale),
      ...checkinUrls(entry.plainToken),
      signal: signalValues(entry, user),
    }))
    const [single] = invoices
    const common = {
      userName: user.fullName,
      linkLifetime: formatDuration(CheckinTask.LINK_TTL, user.locale),
    }
    const replies = repliesOf(this.checkins, invoices, user)
    const repliers = new Map(replies.map((reply) => [reply.email, reply.clientName]))
    const [replier] = repliers.size === 1 ? repliers : []
    const { subject, lines } =
      replies.length === 1 && replies[0].invoices.length === invoices.length
        ? REPLY_CHECKIN_MAIL_TEXTS[user.locale]({
            ...common,
            ...replies[0],
            until: single.signal?.until ?? '',
          })
        : invoices.length > 1
          ? CHECKIN_DIGEST_TEXTS[user.locale]({
              ...common,
              invoices,
              replies,
              replyTo: replier?.[1] ?? null,
            })
          : single.signal
            ? SIGNAL_CHECKIN_MAIL_TEXTS[user.locale]({
                ...common,
                ...single,
                signal: single.signal,
              })
            : CHECKIN_MAIL_TEXTS[user.locale]({ ...common, ...single })
    this.message.to(user.email, displayName(user.fullName)).subject(subject).text(lines.join('\n'))
    if (replier) this.message.replyTo(replier[0], displayName(replier[1]))
  }
}
