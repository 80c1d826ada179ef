import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import type User from '#models/user'
import QuotaExceededException from '#exceptions/quota_exceeded_exception'

/**
 * What an account may hold. Until its address is verified nothing is sent
 * for it, and an account costs nothing to open: it may hold a few invoices
 * to try Relance, and import as many rows at a time. Every account has a cap
 * on pending invoices and on the emails waiting in the queues for it, so no
 * single account can fill Redis.
 */
export const quotas = {
  unverifiedInvoices: () => env.get('MAX_INVOICES_UNVERIFIED'),
  pendingInvoices: () => env.get('MAX_PENDING_INVOICES_PER_USER'),
  scheduledEmails: () => env.get('MAX_SCHEDULED_EMAILS_PER_USER'),
}

const VERIFY_FIRST = 'verify your email address to hold more'

/** Refuses, before anything is read, an import larger than an unverified account may hold. */
export function assertImportSizeAllowed(user: User, rows: number) {
  const limit = quotas.unverifiedInvoices()
  if (!user.maySendEmails && rows > limit) {
    throw new QuotaExceededException(
      `Until its email address is verified, an account imports at most ${limit} rows at a time (this import has ${rows.toLocaleString('en')}): ${VERIFY_FIRST}`
    )
  }
}

/**
 * Refuses `count` invoices becoming pending past the account's quotas: the
 * invoices of an unverified account (new ones only: a paid invoice
 * reopened, `created: false`, is already counted), the pending invoices of
 * any account, and the emails they would schedule (a check-in and a relance
 * per offset each). The user's row is locked, so concurrent writes of one
 * user count in turn; users are locked before clients, as everywhere.
 */
export async function assertRoomForInvoices(
  user: User,
  count: number,
  trx: TransactionClientContract,
  { created = true }: { created?: boolean } = {}
) {
  const { rows } = await trx.rawQuery(
    `SELECT
       (SELECT count(*) FROM invoices WHERE user_id = u.id)::int AS invoices,
       (SELECT count(*) FROM invoices WHERE user_id = u.id AND status = 'pending')::int AS pending,
       ((SELECT count(*) FROM checkin_tasks JOIN invoices ON invoices.id = checkin_tasks.invoice_id
          WHERE invoices.user_id = u.id AND checkin_tasks.status = 'scheduled')
        + (SELECT count(*) FROM relances JOIN invoices ON invoices.id = relances.invoice_id
          WHERE invoices.user_id = u.id AND relances.status = 'scheduled'))::int AS scheduled
     FROM (SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE) AS u`,
    [user.id]
  )
  const held = rows[0] as { invoices: number; pending: number; scheduled: number }
  const unverified = quotas.unverifiedInvoices()
  if (created && !user.maySendEmails && held.invoices + count > unverified) {
    throw new QuotaExceededException(
      `Until its email address is verified, an account holds at most ${unverified} invoices (it has ${held.invoices}): ${VERIFY_FIRST}`
    )
  }
  const pending = quotas.pendingInvoices()
  if (held.pending + count > pending) {
    throw new QuotaExceededException(
      `An account holds at most ${pending.toLocaleString('en')} pending invoices (it has ${held.pending.toLocaleString('en')}, and this adds ${count.toLocaleString('en')}): mark paid or cancel some first`
    )
  }
  const emails = quotas.scheduledEmails()
  const scheduling = count * (1 + user.relanceOffsets.length)
  if (held.scheduled + scheduling > emails) {
    throw new QuotaExceededException(
      `An account has at most ${emails.toLocaleString('en')} emails waiting to be sent (it has ${held.scheduled.toLocaleString('en')}, and this adds ${scheduling.toLocaleString('en')}): mark paid or cancel some invoices first`
    )
  }
}
