/*
| Set-based seeding: a handful of statements whatever the volume, so seeding
| 100,000 rows takes seconds. The rows look like the app's own (same columns,
| same constraints hold); check-in tokens are real: plain values stay in the
| bench, their SHA-256 goes to the database as the app stores it.
*/
import { createHash, randomBytes } from 'node:crypto'
import type pg from 'pg'

export type Token = { plain: string; hashed: string }

export function checkinTokens(count: number): Token[] {
  return Array.from({ length: count }, () => {
    const plain = randomBytes(32).toString('base64url')
    return { plain, hashed: createHash('sha256').update(plain).digest('hex') }
  })
}

/**
 * Users that never log in (their password is not a hash), their address
 * verified (the worker sends nothing for an unverified one); ids in order.
 */
export async function seedUsers(pool: pg.Pool, tag: string, count: number): Promise<number[]> {
  const { rows } = await pool.query(
    `INSERT INTO users (email, password, full_name, timezone, locale, email_verified_at, created_at, updated_at)
     SELECT 'bench-' || $1 || '-' || g || '@example.test', 'no-login', 'Bench User ' || g,
            'Europe/Paris', CASE WHEN g % 2 = 0 THEN 'fr' ELSE 'en' END, now(), now(), now()
       FROM generate_series(1, $2::int) AS g
     RETURNING id`,
    [tag, count]
  )
  return rows.map((row) => row.id as number).sort((a, b) => a - b)
}

export type SeededInvoice = { id: number; userId: number }

/**
 * `count` pending invoices spread round-robin over the users, each user's
 * dealt to its `clientsPerUser` clients in turn (a user's n-th invoice goes
 * to its client n modulo clientsPerUser). Returned in creation order.
 */
export async function seedInvoices(
  pool: pg.Pool,
  options: { tag: string; userIds: number[]; count: number; clientsPerUser: number }
): Promise<SeededInvoice[]> {
  const { tag, userIds, count, clientsPerUser } = options
  await pool.query(
    `INSERT INTO clients (user_id, name, email, created_at, updated_at)
     SELECT u, 'Client ' || k || ' SAS', 'compta-' || k || '-' || u || '@client.test', now(), now()
       FROM unnest($1::int[]) AS u, generate_series(1, $2::int) AS k
     ON CONFLICT DO NOTHING`,
    [userIds, clientsPerUser]
  )
  const { rows } = await pool.query(
    `WITH src AS (
       SELECT g, ($1::int[])[1 + (g - 1) % cardinality($1::int[])] AS user_id
         FROM generate_series(1, $2::int) AS g
     ), client_slots AS (
       SELECT id, user_id, row_number() OVER (PARTITION BY user_id ORDER BY id) - 1 AS slot
         FROM clients WHERE user_id = ANY($1::int[])
     )
     INSERT INTO invoices (user_id, client_id, number, amount_cents, currency, issued_at,
                           due_date, status, created_at, updated_at)
     SELECT src.user_id, c.id, $3 || '-' || lpad(src.g::text, 7, '0'), 10000 + (src.g % 900) * 100,
            'EUR', current_date - 45 + (src.g % 30), current_date - 15 + (src.g % 30),
            'pending', now(), now()
       FROM src JOIN client_slots AS c
         ON c.user_id = src.user_id AND c.slot = ((src.g - 1) / cardinality($1::int[])) % $4
     RETURNING id, user_id, number`,
    [userIds, count, tag, clientsPerUser]
  )
  return rows
    .sort((a, b) => (a.number < b.number ? -1 : 1))
    .map((row) => ({ id: row.id as number, userId: row.user_id as number }))
}

/** Three scheduled relances per invoice, as the default schedule (3, 10, 20 days) makes. */
export async function seedRelances(pool: pg.Pool, invoiceIds: number[]) {
  await pool.query(
    `INSERT INTO relances (invoice_id, sequence, scheduled_at, status, created_at, updated_at)
     SELECT i, s.sequence, date_trunc('day', now()) + s.offset_days * interval '1 day' + interval '7 hours',
            'scheduled', now(), now()
       FROM unnest($1::int[]) AS i,
            (VALUES (1, 3), (2, 10), (3, 20)) AS s(sequence, offset_days)`,
    [invoiceIds]
  )
}

/**
 * One check-in task per invoice. `hashes` are the stored token hashes (random
 * ones when the plain tokens do not matter). Returns task ids in invoice order.
 */
export async function seedCheckins(
  pool: pg.Pool,
  invoiceIds: number[],
  options: {
    status: 'scheduled' | 'sent'
    scheduledAt: Date
    sentAt?: Date
    hashes?: string[]
    updatedAt?: Date
  }
): Promise<number[]> {
  const hashes =
    options.hashes ??
    invoiceIds.map(() => createHash('sha256').update(randomBytes(16)).digest('hex'))
  const { rows } = await pool.query(
    `INSERT INTO checkin_tasks (invoice_id, token_hash, status, scheduled_at, sent_at, created_at, updated_at)
     SELECT t.invoice_id, t.hash, $3, $4, $5, $6, $6
       FROM unnest($1::int[], $2::text[]) AS t(invoice_id, hash)
     RETURNING id, invoice_id`,
    [
      invoiceIds,
      hashes,
      options.status,
      options.scheduledAt,
      options.sentAt ?? null,
      options.updatedAt ?? new Date(),
    ]
  )
  const byInvoice = new Map(rows.map((row) => [row.invoice_id as number, row.id as number]))
  return invoiceIds.map((id) => byInvoice.get(id)!)
}

/** Planner statistics, and no autovacuum pass in the middle of a measure. */
export async function analyze(pool: pg.Pool) {
  await pool.query('VACUUM ANALYZE')
}
