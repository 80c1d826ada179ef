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
  SIGNAL_CHECKIN_MAIL_TEXTS,
  type SignalValues,
} from '#mails/checkin_mail_texts'
import { formatAmount, formatDate, formatDuration, formatShortDate } from '#mails/formatting'

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
  client: Pick<Client, 'name'>
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
    note: typeof signal?.note === 'string' && signal.note ? signal.note : null,
    until: formatDate(expiresAt.setZone(user.timezone), user.locale),
  }
}

/**
 * "Have you been paid?", to the freelancer (never the client), in the
 * freelancer's language: one invoice, or a digest of several, each with the
 * two one-click links of its own task.
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
    const { subject, lines } =
      invoices.length > 1
        ? CHECKIN_DIGEST_TEXTS[user.locale]({ ...common, invoices })
        : single.signal
          ? SIGNAL_CHECKIN_MAIL_TEXTS[user.locale]({ ...common, ...single, signal: single.signal })
          : CHECKIN_MAIL_TEXTS[user.locale]({ ...common, ...single })
    this.message.to(user.email, displayName(user.fullName)).subject(subject).text(lines.join('\n'))
  }
}
