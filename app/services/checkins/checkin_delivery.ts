import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import CheckinTask, { type CheckinReason, type ClientSignal } from '#models/checkin_task'
import User, { type Locale } from '#models/user'
import sendCheckinJob from '#jobs/send_checkin_job'
import db from '@adonisjs/lucid/services/db'
import { deliverScheduledRow, markSentWithEvents } from '#support/scheduled_delivery'
import {
  checkinTokenBatch,
  hashCheckinToken,
  rotateCheckinTokens,
  writeCheckinTokens,
} from '#services/checkins/checkin_token'
import { scheduleCheckinsBeforeNextRelance } from '#services/checkins/checkin_scheduler'
import { sendCheckinEmail } from '#mails/mail_dispatcher'
import {
  CLAIM_CHECKIN_SQL,
  DIGEST_LIMIT,
  DIGEST_WINDOW_MS,
  DUE_CHECKINS_OF_USERS_SQL,
  DUE_LOOKAHEAD,
  DUE_COMPANIONS_SQL,
  dueCheckinUsersSql,
} from '#services/checkins/due_checkin_sql'

export type DeliveryOutcome = 'sent' | 'skipped'

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
  const now = new Date()
  const { rows } = await trx.rawQuery(CLAIM_CHECKIN_SQL, [now, digestHorizon(now), taskId])
  return rows.length === 0 ? null : dueCheckinOf(rows[0])
}

const digestHorizon = (now: Date) => new Date(now.getTime() + DIGEST_WINDOW_MS)

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
  const now = new Date()
  const { rows } = await trx.rawQuery(DUE_COMPANIONS_SQL, [
    now,
    task.invoice.userId,
    task.id,
    digestHorizon(now),
    DIGEST_LIMIT - 1,
  ])
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
    send: (task, companions) => sendCheckinsOf(task.invoice.user, [task, ...companions], tokens),
    // The invoice's next check-in, before its next relance, now that this one is out
    afterSent: scheduleNextCheckins,
    sentEvent: checkinSentEvent,
  })
}

/** One email to the user listing these tasks, oldest first, each with its own links. */
function sendCheckinsOf(
  user: DueCheckin['invoice']['user'],
  tasks: DueCheckin[],
  tokens: Map<number, string>
) {
  const oldestFirst = [...tasks].sort((a, b) => a.scheduledAt - b.scheduledAt || a.id - b.id)
  return sendCheckinEmail({
    user,
    checkins: oldestFirst.map(({ id, invoice, reason, signal, expiresAt }) => ({
      invoice,
      client: invoice.customer,
      plainToken: tokens.get(id)!,
      reason,
      signal,
      expiresAt,
    })),
  })
}

/** The invoices' next check-ins, before their next relance, now that these are out. */
function scheduleNextCheckins(tasks: DueCheckin[], trx: TransactionClientContract) {
  return scheduleCheckinsBeforeNextRelance(
    tasks.filter((task) => task.relancesAhead).map((task) => task.invoiceId),
    trx
  )
}

function checkinSentEvent({ invoice, reason }: DueCheckin) {
  return {
    userId: invoice.userId,
    invoiceId: invoice.id,
    type: 'checkin_sent' as const,
    label: `Check-in email sent for invoice ${invoice.number}`,
    metadata: { reason },
  }
}

/** A check-in job being run: its task and the plain token of its links. */
export type CheckinInHand = { taskId: number; plainToken: string }

/** What a batch did with each task it tried, by task id; a task it did not take is absent. */
export type BatchOutcomes = Map<number, 'sent' | Error>

/**
 * Sends, in one transaction, the check-ins of up to `users` freelancers
 * (the batch says how many it locked, and how many tasks it sent):
 * those of the jobs in hand first, then those whose check-ins have waited
 * longest. Each user gets one email (the digest of every task of theirs due
 * within the window, as `deliverCheckin` sends it); the emails go out
 * together over the SMTP pool, then one statement marks every task that
 * went `sent`, with its event. A task carries its job's token when that job
 * is in hand, a new one otherwise, stored only if its email went out; the
 * others' jobs are removed after commit (run anyway, they find their task
 * sent). A failed email leaves its tasks `scheduled` for their own jobs.
 *
 * At most `users` emails are in flight at once, all committed together: a
 * crash between the SMTP answers and the commit sends those again, the
 * same window as `users` jobs in hand. The users are locked as
 * `deliverCheckin` locks them, but skipped when another delivery holds
 * them, so batches of several workers never wait on each other.
 */
export function deliverDueCheckins(
  inHand: CheckinInHand[],
  users: number
): Promise<{ outcomes: BatchOutcomes; users: number; sent: number; failed: boolean }> {
  return db.transaction(async (trx) => {
    const inHandIds = inHand.map(({ taskId }) => taskId)
    const now = new Date()
    const { rows: locked } = await trx.rawQuery(dueCheckinUsersSql(User.maySendEmailsSql('du')), [
      now,
      inHandIds,
      DUE_LOOKAHEAD,
      users,
    ])
    const outcomes: BatchOutcomes = new Map()
    if (locked.length === 0) return { outcomes, users: 0, sent: 0, failed: false }
    const { rows } = await trx.rawQuery(DUE_CHECKINS_OF_USERS_SQL, [
      now,
      locked.map(({ id }: { id: number }) => id),
      digestHorizon(now),
      inHandIds,
    ])
    // A task goes with its job's token when that job is in hand, with a new one
    // when it is due anyway; a job whose token the task no longer has takes
    // the per-row path, which sends nothing for it
    const jobTokens = new Map(inHand.map(({ taskId, plainToken }) => [taskId, plainToken]))
    const horizon = digestHorizon(now).getTime()
    // One read of the random source for the batch, not one per task
    const newToken = checkinTokenBatch(rows.length)
    const tokens = new Map<number, string>()
    const fresh = new Map<number, { plain: string; hashed: string }>()
    const byUser = new Map<number, DueCheckin[]>()
    for (const [index, task] of rows.map(dueCheckinOf).entries()) {
      const tasks = byUser.get(task.invoice.userId) ?? []
      if (!task.invoice.user.maySendEmails || tasks.length >= DIGEST_LIMIT) continue
      const own = jobTokens.get(task.id)
      if (own !== undefined && hashCheckinToken(own) === task.tokenHash) {
        tokens.set(task.id, own)
      } else if (task.scheduledAt <= horizon) {
        const token = newToken(index)
        tokens.set(task.id, token.plain)
        fresh.set(task.id, token)
      } else continue
      byUser.set(task.invoice.userId, [...tasks, task])
    }

    const emails = [...byUser.values()]
    const results = await Promise.allSettled(
      emails.map((tasks) => sendCheckinsOf(tasks[0].invoice.user, tasks, tokens))
    )
    const sent: DueCheckin[] = []
    results.forEach((result, index) => {
      for (const task of emails[index]) {
        if (result.status === 'fulfilled') sent.push(task)
        outcomes.set(task.id, result.status === 'fulfilled' ? 'sent' : result.reason)
      }
    })
    if (sent.length > 0) {
      const sentIds = new Set(sent.map((task) => task.id))
      await writeCheckinTokens(new Map([...fresh].filter(([id]) => sentIds.has(id))), trx)
      await markSentWithEvents(
        CheckinTask.table,
        sent.map((task) => task.id),
        sent.map(checkinSentEvent),
        trx
      )
      await scheduleNextCheckins(sent, trx)
      sendCheckinJob.removeAfterCommit(
        trx,
        sent.filter((task) => !jobTokens.has(task.id)).map((task) => task.id)
      )
    }
    return {
      outcomes,
      users: locked.length,
      sent: sent.length,
      failed: results.some((result) => result.status === 'rejected'),
    }
  })
}
