/*
| GET /stats' statement and its rows as the API answers them. No import, so
| the benchmark's framework-free server runs the very same SQL.
*/

/** How late an outstanding invoice is, in days past its due date (today not yet late). */
export const AGE_BUCKETS = ['not_due', '1-30', '31-60', '61-90', '90+'] as const
export type AgeBucket = (typeof AGE_BUCKETS)[number]

/** The window of the DSO, and of the payment behaviour (on-time rate, days late). */
export const DSO_PERIOD_DAYS = 90
export const PAYMENT_PERIOD_DAYS = 365

type Amount = { cents: number; count: number }

/** Invoices a client promised to pay within one week (Monday to Sunday, the user's). */
export type PromisedWeek = Amount & { weekOf: string }

export type CurrencyReceivables = {
  currency: string
  outstanding: Amount & { byAge: (Amount & { bucket: AgeBucket })[] }
  dso: { days: number | null; periodDays: number; invoicedCents: number }
  payments: {
    periodDays: number
    count: number
    onTimeRate: number | null
    averageDaysLate: number | null
  }
  promised: PromisedWeek[]
}

/** The SQL condition of a bucket on `days_late` (today − due date). */
const BUCKET_CONDITIONS: Record<AgeBucket, string> = {
  'not_due': 'days_late <= 0',
  '1-30': 'days_late BETWEEN 1 AND 30',
  '31-60': 'days_late BETWEEN 31 AND 60',
  '61-90': 'days_late BETWEEN 61 AND 90',
  '90+': 'days_late > 90',
}

/** The one statement of receivablesOf (knex `?` bindings): see its description. */
export function receivablesStatement(
  user: { id: number; timezone: string },
  today: string,
  now: Date
) {
  const pending = (condition: string, value: string) =>
    `coalesce(${value} FILTER (WHERE status = 'pending' AND ${condition}), 0)::bigint`
  const buckets = Object.entries(BUCKET_CONDITIONS).map(
    ([bucket, condition]) =>
      `${pending(condition, 'sum(amount_cents)')} AS "${bucket}_cents",
       ${pending(condition, 'count(*)')} AS "${bucket}_count"`
  )
  const sql = `WITH invoice AS (
       SELECT currency, amount_cents, status, due_date,
              ?::date - due_date AS days_late,
              coalesce(issued_at, (created_at AT TIME ZONE ?)::date) AS issued_on,
              (paid_at AT TIME ZONE ?)::date AS paid_on,
              CASE WHEN status = 'pending' AND hold_reason = 'payment_promised' AND hold_until > ?
                THEN date_trunc('week', (hold_until AT TIME ZONE ?)::date - 1)::date END AS promised_week
       FROM invoices WHERE user_id = ? AND status <> 'cancelled'
     ),
     promised AS (
       SELECT currency, jsonb_agg(jsonb_build_object(
                'weekOf', promised_week, 'cents', cents, 'count', count) ORDER BY promised_week) AS weeks
       FROM (SELECT currency, promised_week, sum(amount_cents)::bigint AS cents, count(*) AS count
             FROM invoice WHERE promised_week IS NOT NULL GROUP BY currency, promised_week) AS week
       GROUP BY currency
     )
     SELECT currency, coalesce(max(promised.weeks::text), '[]') AS promised,
            ${pending('true', 'sum(amount_cents)')} AS outstanding_cents,
            ${pending('true', 'count(*)')} AS outstanding_count,
            ${buckets.join(',\n')},
            coalesce(sum(amount_cents) FILTER (
              WHERE issued_on > ?::date - ?::int AND issued_on <= ?::date), 0)::bigint AS invoiced_cents,
            count(*) FILTER (WHERE paid_on > ?::date - ?::int) AS paid_count,
            count(*) FILTER (WHERE paid_on > ?::date - ?::int AND paid_on <= due_date) AS paid_on_time,
            avg(greatest(paid_on - due_date, 0)) FILTER (WHERE paid_on > ?::date - ?::int)
              AS average_days_late
     FROM invoice LEFT JOIN promised USING (currency) GROUP BY currency ORDER BY currency`
  return {
    sql,
    bindings: [
      today,
      user.timezone,
      user.timezone,
      now,
      user.timezone,
      user.id,
      today,
      DSO_PERIOD_DAYS,
      today,
      today,
      PAYMENT_PERIOD_DAYS,
      today,
      PAYMENT_PERIOD_DAYS,
      today,
      PAYMENT_PERIOD_DAYS,
    ],
  }
}

/** The rows of receivablesStatement as the API answers them. */
export function receivablesFromRows(rows: Record<string, string | number | null>[]) {
  return rows.map((row): CurrencyReceivables => {
    const outstandingCents = Number(row.outstanding_cents)
    const invoicedCents = Number(row.invoiced_cents)
    const paidCount = Number(row.paid_count)
    return {
      currency: String(row.currency),
      outstanding: {
        cents: outstandingCents,
        count: Number(row.outstanding_count),
        byAge: AGE_BUCKETS.map((bucket) => ({
          bucket,
          cents: Number(row[`${bucket}_cents`]),
          count: Number(row[`${bucket}_count`]),
        })),
      },
      dso: {
        days:
          invoicedCents > 0 ? round((outstandingCents / invoicedCents) * DSO_PERIOD_DAYS, 1) : null,
        periodDays: DSO_PERIOD_DAYS,
        invoicedCents,
      },
      payments: {
        periodDays: PAYMENT_PERIOD_DAYS,
        count: paidCount,
        onTimeRate: paidCount > 0 ? round(Number(row.paid_on_time) / paidCount, 4) : null,
        averageDaysLate:
          row.average_days_late === null ? null : round(Number(row.average_days_late), 1),
      },
      promised: (JSON.parse(String(row.promised)) as PromisedWeek[]).map((week) => ({
        weekOf: week.weekOf,
        cents: Number(week.cents),
        count: Number(week.count),
      })),
    }
  })
}

const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}
