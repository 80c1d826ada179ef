import { DateTime } from 'luxon'
import type Client from '#models/client'
import type Invoice from '#models/invoice'
import type { ActiveHold } from '#models/invoice'
import { afterHold, afterPause } from '#support/business_calendar'

/**
 * What keeps an invoice's relances back: the client's pause or bounced
 * address, the invoice's hold.
 */
export type RelanceWaits = {
  pausedUntil: DateTime | null
  bounced: boolean
  hold: Pick<ActiveHold, 'until'> | null
}

export function waitsOf(
  invoice: Pick<Invoice, 'activeHold'>,
  client: Pick<Client, 'remindersPausedUntil' | 'isBounced'>,
  now: DateTime = DateTime.now()
): RelanceWaits {
  return {
    pausedUntil: client.remindersPausedUntil,
    bounced: client.isBounced,
    hold: invoice.activeHold(now),
  }
}

/**
 * When a relance due at `moment` may go: out of the client's pause and the
 * invoice's hold, at the first weekday 09:00 after them; null while it
 * waits for someone to act (a hold until lifted, a bounced address), which
 * then sends what came due at the next weekday 09:00.
 */
export function relanceMayGoAt(
  moment: DateTime,
  waits: RelanceWaits,
  timezone: string
): DateTime | null {
  if (waits.bounced || (waits.hold && !waits.hold.until)) return null
  const afterThePause = afterPause(moment, waits.pausedUntil, timezone)
  return waits.hold?.until ? afterHold(afterThePause, waits.hold.until, timezone) : afterThePause
}

/**
 * SQL on `relances`: the relance waits for someone to act, its invoice held
 * until lifted or its client's address bounced. Its job has run and kept it
 * back; lifting the hold or fixing the address enqueues it again, so the
 * reconciler leaves it alone.
 */
export const RELANCE_WAITS_FOR_ACTION_SQL = `EXISTS (
  SELECT 1 FROM invoices AS waiting JOIN clients AS waiting_client ON waiting_client.id = waiting.client_id
   WHERE waiting.id = relances.invoice_id
     AND ((waiting.hold_reason IS NOT NULL AND waiting.hold_until IS NULL)
          OR waiting_client.email_status = 'bounced'))`
