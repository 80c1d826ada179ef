import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ActivityEvent, { type ActivityType } from '#models/activity_event'

type ActivityEntry = {
  userId: number
  invoiceId?: number | null
  type: ActivityType
  label: string
  metadata?: Record<string, unknown>
}

/**
 * Appends one event to the user's activity feed, inside the caller's transaction.
 */
export function recordActivity(entry: ActivityEntry, trx: TransactionClientContract) {
  return ActivityEvent.create(
    {
      userId: entry.userId,
      invoiceId: entry.invoiceId ?? null,
      type: entry.type,
      label: entry.label,
      metadata: entry.metadata ?? {},
    },
    { client: trx }
  )
}
