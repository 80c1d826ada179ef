import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask, { type CheckinReason, type ClientSignal } from '#models/checkin_task'
import User, { type Locale } from '#models/user'
import sendCheckinJob from '#jobs/send_checkin_job'
import { deliverScheduledRow } from '#support/scheduled_delivery'
import { hashCheckinToken, rotateCheckinTokens } from '#services/checkins/checkin_token'
import { scheduleCheckinsBeforeNextRelance } from '#services/checkins/checkin_scheduler'
import { sendCheckinEmail } from '#mails/mail_dispatcher'
import {
  CLAIM_CHECKIN_SQL,
  DIGEST_WINDOW_MS,
  DUE_CHECKIN_COLUMNS,
  DUE_CHECKIN_FROM,
  sendableDuringHolds,
} from '#services/checkins/due_checkin_sql'

export type DeliveryOutcome = 'sent' | 'skipped'

/** The most invoices one email lists; the rest go in the next one. */
export const DIGEST_LIMIT = 50

/** A check-in task with what its email needs, read in the statement that locks it. */
type DueCheckin = {
  id: number
  invoiceId: number
  tokenHash: string
  scheduledAt: number
  isScheduled: boolean
  reason: CheckinReason
  /** What the client said (a signal's check-in). */
  signal: ClientSignal | null
  /** When a signal's links stop working (the end of its hold); null: 24 h after sending. */
  expiresAt: DateTime | null
  /** Not kept back by the invoice's hold (a signal's check-in never is). */
  sendable: boolean
  /** The user wants a check-in before each relance and the invoice has one ahead. */
  relancesAhead: boolean
  /** Another check-in of the user falls due within the window (claim only). */
  hasCompanions: boolean
  invoice: {
    id: number
    userId: number
    number: string
    amountCents: number
    currency: string
    dueDate: DateTime
    isPending: boolean
    user: {
      email: string
      fullName: string
      locale: Locale
      timezone: string
      maySendEmails: boolean
    }
    customer: { name: string; email: string }
  }
}

function dueCheckinOf(row: Record<string, any>): DueCheckin {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    tokenHash: row.token_hash,
    scheduledAt: row.scheduled_at.getTime(),
    isScheduled: row.status === 'scheduled',
    reason: row.reason,
    signal: row.signal,
    expiresAt: row.expires_at ? DateTime.fromJSDate(row.expires_at) : null,
    sendable: row.sendable,
    relancesAhead: row.relances_ahead,
    hasCompanions: row.has_companions ?? false,
    invoice: {
      id: row.invoice_id,
      userId: row.user_id,
      number: row.number,
      // bigint comes back from pg as a string; amounts stay far below 2^53 cents
      amountCents: Number(row.amount_cents),
      currency: row.currency,
      dueDate: DateTime.fromISO(row.due_date),
      isPending: row.invoice_status === 'pending',
      user: {
        email: row.email,
        fullName: row.full_name,
        locale: row.locale,
        timezone: row.timezone,
        maySendEmails: User.maySendEmailsWhenVerifiedAt(row.email_verified_at),
      },
      customer: { name: row.client_name, email: row.client_email },
    },
  }
}

/**
 * Locks the row of the user the task belongs to, then the task itself (the
 * order of the locking clauses is the order PostgreSQL takes the locks in),
 * and reads what the email needs. The user lock makes the user's deliveries
 * run one at a time, so two jobs never gather the same tasks; NO KEY UPDATE
 * still lets other transactions insert invoices and events of the user.
 * `has_companions` spares the digest query when nothing else is due.
 */
async function claimCheckin(taskId: number, trx: TransactionClientContract) {
  const { rows } = await trx.rawQuery(CLAIM_CHECKIN_SQL, [digestHorizon(), taskId])
  return rows.length === 0 ? null : dueCheckinOf(rows[0])
}

const digestHorizon = () => new Date(Date.now() + DIGEST_WINDOW_MS)

/**
 * The user's other check-ins due within the window, oldest first, locked,
 * each with a fresh token: their own jobs then find a foreign hash and
 * send nothing, and their plain tokens never leave this email.
 */
async function dueCompanions(
  task: DueCheckin,
  tokens: Map<number, string>,
  trx: TransactionClientContract
) {
  if (!task.hasCompanions) return []
  const { rows } = await trx.rawQuery(
    `SELECT ${DUE_CHECKIN_COLUMNS}
     ${DUE_CHECKIN_FROM}
     WHERE i.user_id = ? AND i.status = 'pending' AND t.status = 'scheduled'
       AND t.id <> ? AND t.scheduled_at <= ? AND ${sendableDuringHolds('t', 'i')}
     ORDER BY t.scheduled_at, t.id
     LIMIT ?
     FOR UPDATE OF t`,
    [task.invoice.userId, task.id, digestHorizon(), DIGEST_LIMIT - 1]
  )
  const others: DueCheckin[] = rows.map(dueCheckinOf)
  const fresh = await rotateCheckinTokens(
    others.map((other) => other.id),
    trx
  )
  for (const [id, plain] of fresh) tokens.set(id, plain)
  // Their delayed jobs have nothing left to do
  sendCheckinJob.removeAfterCommit(trx, [...fresh.keys()])
  return others.filter((other) => fresh.has(other.id))
}

/**
 * Sends the freelancer one check-in email for this task and every other of
 * theirs due within the next minute: one invoice reads as a single
 * check-in, several as a digest, each with the links of its own task. The
 * job's task uses the job's token; all become `sent` together.
 */
export function deliverCheckin(taskId: number, plainToken: string): Promise<DeliveryOutcome> {
  const tokens = new Map([[taskId, plainToken]])
  return deliverScheduledRow({
    model: CheckinTask,
    id: taskId,
    claim: claimCheckin,
    hold: async (task, trx) => {
      // A rotated token (reconciler, another job's digest) or a stale payload must not send old links
      if (hashCheckinToken(plainToken) !== task.tokenHash) return 'skipped'
      // Held since it was scheduled: the hold's end brings the next check-in (followHold)
      if (!task.sendable) {
        await trx
          .from('checkin_tasks')
          .where('id', task.id)
          .update({ status: 'cancelled', updated_at: new Date() })
        return 'skipped'
      }
      return null
    },
    companions: (task, trx) => dueCompanions(task, tokens, trx),
    send: (task, companions) => {
      const oldestFirst = [task, ...companions].sort(
        (a, b) => a.scheduledAt - b.scheduledAt || a.id - b.id
      )
      return sendCheckinEmail({
        user: task.invoice.user,
        checkins: oldestFirst.map(({ id, invoice, reason, signal, expiresAt }) => ({
          invoice,
          client: invoice.customer,
          plainToken: tokens.get(id)!,
          reason,
          signal,
          expiresAt,
        })),
      })
    },
    // The invoice's next check-in, before its next relance, now that this one is out
    afterSent: (tasks, trx) =>
      scheduleCheckinsBeforeNextRelance(
        tasks.filter((task) => task.relancesAhead).map((task) => task.invoiceId),
        trx
      ),
    sentEvent: ({ invoice, reason }) => ({
      userId: invoice.userId,
      invoiceId: invoice.id,
      type: 'checkin_sent',
      label: `Check-in email sent for invoice ${invoice.number}`,
      metadata: { reason },
    }),
  })
}
