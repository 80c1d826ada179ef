/*
| The SQL of the check-in delivery, the worker's hot path: the task, its
| invoice, user and client in one statement of plain rows (no model
| hydration, no preload round trips). Plain strings with no import, so the
| benchmark's framework-free worker runs the very same statements.
*/

/** Check-ins falling due within this window after a job's go out in its email (the claim's horizon). */
export const DIGEST_WINDOW_MS = 60_000

/** The most invoices one email lists; the rest go in the next one. */
export const DIGEST_LIMIT = 50

/** How many of the oldest due tasks a batch looks at to find its users. */
export const DUE_LOOKAHEAD = 500

/**
 * Each statement below takes the app's clock as its first binding: a hold
 * ends on the app's clock, as Invoice.activeHold judges it everywhere else,
 * not on PostgreSQL's now().
 */
const withAppClock = (sql: string) => `WITH app_clock AS (SELECT ?::timestamptz AS now) ${sql}`

/** The invoice `i` is held at this moment: its hold has no end, or one still ahead. */
const held = (i: string) =>
  `(${i}.hold_reason IS NOT NULL AND (${i}.hold_until IS NULL OR ${i}.hold_until > (SELECT now FROM app_clock)))`

/** The task `t` reports what a client said (a payment, a reply), not a date come due. */
const isClientSignal = (t: string) => `${t}.reason IN ('payment_reported', 'client_replied')`

/**
 * The task `t` of invoice `i` may go out: a client's signal always does (it
 * is what the hold is for); the check-in of the due date or before a relance
 * waits out the invoice's hold.
 */
export const sendableDuringHolds = (t: string, i: string) =>
  `(${isClientSignal(t)} OR NOT ${held(i)})`

/** What a check-in email needs, from `t` (the task), `i`, `u` and `c`. */
export const DUE_CHECKIN_COLUMNS = `
  t.id, t.invoice_id, t.token_hash, t.status, t.scheduled_at, t.reason, t.signal, t.expires_at,
  ${sendableDuringHolds('t', 'i')} AS sendable,
  i.user_id, i.number, i.amount_cents, i.currency, i.due_date::text AS due_date,
  i.status AS invoice_status, u.email, u.full_name, u.locale, u.timezone, u.email_verified_at,
  c.name AS client_name, c.email AS client_email,
  u.checkin_before_each_relance AND EXISTS (
    SELECT 1 FROM relances AS r
     WHERE r.invoice_id = i.id AND r.sequence >= 2 AND r.status = 'scheduled'
  ) AS relances_ahead`

export const DUE_CHECKIN_FROM = `
  FROM checkin_tasks AS t
  JOIN invoices AS i ON i.id = t.invoice_id
  JOIN users AS u ON u.id = i.user_id
  JOIN clients AS c ON c.id = i.client_id`

/**
 * Locks the row of the user the task belongs to, then the task itself (the
 * order of the locking clauses is the order PostgreSQL takes the locks in),
 * and reads what the email needs. `has_companions`: another check-in of the
 * user falls due before the horizon. Bindings: the app's clock, the horizon,
 * the task id.
 */
export const CLAIM_CHECKIN_SQL = withAppClock(`SELECT ${DUE_CHECKIN_COLUMNS},
  EXISTS (
    SELECT 1 FROM checkin_tasks AS o JOIN invoices AS oi ON oi.id = o.invoice_id
     WHERE oi.user_id = i.user_id AND oi.status = 'pending' AND o.status = 'scheduled'
       AND o.id <> t.id AND o.scheduled_at <= ? AND ${sendableDuringHolds('o', 'oi')}
  ) AS has_companions
  ${DUE_CHECKIN_FROM}
  WHERE t.id = ?
  FOR NO KEY UPDATE OF u FOR UPDATE OF t`)

/**
 * The user's other check-ins due before the horizon, beside the claimed
 * one, oldest first, locked: the digest's other invoices. Bindings: the
 * app's clock, the user id, the claimed task's id, the horizon, how many at
 * most.
 */
export const DUE_COMPANIONS_SQL = withAppClock(`SELECT ${DUE_CHECKIN_COLUMNS}
  ${DUE_CHECKIN_FROM}
  WHERE i.user_id = ? AND i.status = 'pending' AND t.status = 'scheduled'
    AND t.id <> ? AND t.scheduled_at <= ? AND ${sendableDuringHolds('t', 'i')}
  ORDER BY t.scheduled_at, t.id
  LIMIT ?
  FOR UPDATE OF t`)

/**
 * A batch's recipients (bindings: the app's clock first): the users of the
 * tasks whose jobs are in hand (bindings: their ids), then those of the
 * oldest due tasks (binding: how many tasks to look at), oldest first; dates
 * come due, not a client's signal, which comes alone and goes by its own
 * job, at most `limit` (binding) users, locked as CLAIM_CHECKIN_SQL locks
 * them; a user another delivery holds is skipped, not waited for. `maySend`
 * is the users' sending rule as SQL on `du`.
 */
export const dueCheckinUsersSql = (maySend: string) =>
  withAppClock(`SELECT u.id
  FROM users AS u
  JOIN (
    SELECT c.user_id, min(c.rank) AS rank, min(c.scheduled_at) AS first_due
      FROM (
        SELECT i.user_id, 0 AS rank, t.scheduled_at
          FROM checkin_tasks AS t JOIN invoices AS i ON i.id = t.invoice_id
         WHERE t.id = ANY(?::int[]) AND t.status = 'scheduled' AND NOT ${isClientSignal('t')}
        UNION ALL
        (SELECT i.user_id, 1, t.scheduled_at
           FROM checkin_tasks AS t
           JOIN invoices AS i ON i.id = t.invoice_id
           JOIN users AS du ON du.id = i.user_id
          WHERE t.status = 'scheduled' AND t.scheduled_at <= (SELECT now FROM app_clock)
            AND i.status = 'pending'
            AND NOT ${isClientSignal('t')} AND ${maySend} AND ${sendableDuringHolds('t', 'i')}
          ORDER BY t.scheduled_at, t.id
          LIMIT ?)
      ) AS c
     GROUP BY c.user_id
  ) AS due ON due.user_id = u.id
  ORDER BY due.rank, due.first_due, u.id
  LIMIT ?
  FOR NO KEY UPDATE OF u SKIP LOCKED`)

/**
 * The tasks (bindings: the app's clock first) of these users (bindings:
 * their ids) due before the horizon (binding), or in hand (bindings: their
 * ids), that may go out now, locked, each user's oldest first.
 */
export const DUE_CHECKINS_OF_USERS_SQL = withAppClock(`SELECT ${DUE_CHECKIN_COLUMNS}
  ${DUE_CHECKIN_FROM}
  WHERE i.user_id = ANY(?::int[]) AND i.status = 'pending' AND t.status = 'scheduled'
    AND (t.scheduled_at <= ? OR t.id = ANY(?::int[])) AND ${sendableDuringHolds('t', 'i')}
  ORDER BY i.user_id, t.scheduled_at, t.id
  FOR UPDATE OF t`)
