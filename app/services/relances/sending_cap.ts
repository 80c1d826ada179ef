import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import type Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { lockOwnerOf } from '#support/row_locks'
import { onWeekday, sendingTimeOn, todayIn } from '#support/business_calendar'

/** The window the daily cap counts over: the 24 hours before now, whatever the time zone. */
const CAP_WINDOW = { hours: 24 }

/**
 * Locks the user's row before the client's: every delivery of an email to
 * a user's client (relance, thank-you) takes it, so counting the emails and
 * sending one never interleave (the cap holds across workers). Users, then
 * clients: always that order.
 */
export function lockSenderOf(
  row: { table: 'relances' | 'thank_yous'; id: number },
  trx: TransactionClientContract
) {
  return lockOwnerOf('users', row, trx)
}

export function lockSenderOfRelance(relanceId: number, trx: TransactionClientContract) {
  return lockSenderOf({ table: 'relances', id: relanceId }, trx)
}

/**
 * When each email to the user's clients of the last 24 hours went, oldest
 * first: a relance email (the relances one email covers share its
 * `sent_at`) or a thank-you. A rolling window: a change of the user's time
 * zone moves no day boundary, so it cannot reset the count.
 */
async function clientEmailsSentSince(
  userId: number,
  since: DateTime,
  trx: TransactionClientContract
): Promise<DateTime[]> {
  const { rows } = await trx.rawQuery(
    `SELECT sent_at FROM (
       SELECT DISTINCT invoices.client_id, relances.sent_at
       FROM relances JOIN invoices ON invoices.id = relances.invoice_id
       WHERE invoices.user_id = ? AND relances.sent_at > ?
       UNION ALL
       SELECT invoices.client_id, thank_yous.sent_at
       FROM thank_yous JOIN invoices ON invoices.id = thank_yous.invoice_id
       WHERE invoices.user_id = ? AND thank_yous.sent_at > ? AND thank_yous.status = 'sent'
     ) AS emails ORDER BY sent_at`,
    [userId, since.toJSDate(), userId, since.toJSDate()]
  )
  return rows.map((row: { sent_at: Date }) => DateTime.fromJSDate(row.sent_at))
}

/**
 * MAX_CLIENT_EMAILS_PER_DAY emails to the user's clients in any 24 hours:
 * null while one more may go now, else the moment one may (the emails that
 * fill the window have left it).
 */
export async function clientEmailCapFreesAt(
  userId: number,
  trx: TransactionClientContract,
  now = DateTime.now()
): Promise<DateTime | null> {
  const limit = env.get('MAX_CLIENT_EMAILS_PER_DAY', 200)
  const sent = await clientEmailsSentSince(userId, now.minus(CAP_WINDOW), trx)
  if (sent.length < limit) return null
  return sent[sent.length - limit].plus(CAP_WINDOW)
}

/**
 * Past the cap the relance waits, and the user's feed says why: until the
 * next weekday's sending time, or later if the window is still full then.
 * Returns that moment, or null when the relance may go now.
 */
export async function deferPastDailyCap(
  relance: Relance,
  trx: TransactionClientContract
): Promise<DateTime | null> {
  const { invoice } = relance
  const { timezone } = invoice.user
  const now = DateTime.now()
  const freesAt = await clientEmailCapFreesAt(invoice.userId, trx, now)
  if (!freesAt) return null

  const nextSendingTime = onWeekday(
    sendingTimeOn(todayIn(timezone, now).plus({ days: 1 }), timezone)
  )
  const until = freesAt > nextSendingTime ? onWeekday(freesAt.setZone(timezone)) : nextSendingTime
  const limit = env.get('MAX_CLIENT_EMAILS_PER_DAY', 200)
  await relance.useTransaction(trx).merge({ scheduledAt: until }).save()
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'relance_deferred',
      label: `Relance ${relance.sequence} for invoice ${invoice.number} moved to ${until.toISODate()}: the limit of ${limit} emails to clients a day is reached`,
      metadata: { sequence: relance.sequence, until: until.toISO(), limit },
    },
    trx
  )
  return until
}
