import db from '@adonisjs/lucid/services/db'
import {
  receivablesFromRows,
  receivablesStatement,
  type CurrencyReceivables,
} from '#services/invoices/receivables_sql'

export {
  AGE_BUCKETS,
  type AgeBucket,
  type CurrencyReceivables,
} from '#services/invoices/receivables_sql'

/**
 * The user's receivables per currency, in one statement whatever the
 * number of invoices, with days counted in the user's timezone up to
 * `today` (a date in that timezone):
 * - outstanding: pending invoices, in all and by days late;
 * - DSO: outstanding ÷ invoiced over the last 90 days × 90 (issue date,
 *   else the day it was recorded; cancelled invoices left out), null when
 *   nothing was invoiced then;
 * - payments of the last 365 days: how many, the share paid on or before
 *   the due date, and the average days late (0 for one paid on time);
 * - promised: pending invoices whose client promised a date (a
 *   `payment_promised` hold still running at `now`), by the week of that
 *   date. The hold ends at 09:00 the day after the promised date.
 */
export async function receivablesOf(
  user: { id: number; timezone: string },
  today: string,
  now: Date = new Date()
): Promise<CurrencyReceivables[]> {
  const { sql, bindings } = receivablesStatement(user, today, now)
  const { rows } = await db.rawQuery(sql, bindings)
  return receivablesFromRows(rows)
}
