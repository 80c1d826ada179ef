import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import type Relance from '#models/relance'
import ActivityEvent from '#models/activity_event'
import { lockOwnerOf } from '#support/row_locks'
import { onWeekday, sendingTimeOn, todayIn } from '#support/business_calendar'

/**
 * Locks the user's row before the client's: every relance delivery of a user
 * takes it, so counting the day's emails and sending one never interleave
 * (the cap holds across workers). Users, then clients: always that order.
 */
export function lockSenderOfRelance(relanceId: number, trx: TransactionClientContract) {
  return lockOwnerOf('users', { table: 'relances', id: relanceId }, trx)
}

/**
 * The relance emails the user sent today (their calendar day). One email
 * goes to a client a day, covering all its relances due: the clients that
 * got one are the emails.
 */
async function relanceEmailsSentToday(
  userId: number,
  timezone: string,
  trx: TransactionClientContract
) {
  const { rows } = await trx.rawQuery(
    `SELECT count(DISTINCT invoices.client_id)::int AS emails
     FROM relances JOIN invoices ON invoices.id = relances.invoice_id
     WHERE invoices.user_id = ? AND relances.sent_at >= ?`,
    [userId, todayIn(timezone, DateTime.now()).toJSDate()]
  )
  return rows[0].emails as number
}

/**
 * At most MAX_CLIENT_EMAILS_PER_DAY relance emails per user and day: past
 * it, the relance moves to the next weekday's sending time, and the user's
 * feed says why. Returns that moment, or null when the relance may go now.
 */
export async function deferPastDailyCap(
  relance: Relance,
  trx: TransactionClientContract
): Promise<DateTime | null> {
  const { invoice } = relance
  const { timezone } = invoice.user
  const limit = env.get('MAX_CLIENT_EMAILS_PER_DAY', 200)
  if ((await relanceEmailsSentToday(invoice.userId, timezone, trx)) < limit) return null

  const until = onWeekday(
    sendingTimeOn(todayIn(timezone, DateTime.now()).plus({ days: 1 }), timezone)
  )
  await relance.useTransaction(trx).merge({ scheduledAt: until }).save()
  await ActivityEvent.record(
    {
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'relance_deferred',
      label: `Relance ${relance.sequence} for invoice ${invoice.number} moved to ${until.toISODate()}: the limit of ${limit} relance emails a day is reached`,
      metadata: { sequence: relance.sequence, until: until.toISO(), limit },
    },
    trx
  )
  return until
}
