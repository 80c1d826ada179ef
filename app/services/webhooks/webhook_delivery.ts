import { DateTime } from 'luxon'
import { Webhook } from 'standardwebhooks'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import webhooksConfig from '#config/webhooks'
import ActivityEvent from '#models/activity_event'
import WebhookDelivery, { type WebhookAttempt } from '#models/webhook_delivery'
import WebhookEndpoint from '#models/webhook_endpoint'
import deliverWebhookJob from '#jobs/deliver_webhook_job'
import { webhookDeliveries } from '#metrics/metrics'
import { postWebhook } from '#services/webhooks/webhook_request'
import { RefusedWebhookTarget } from '#services/webhooks/webhook_targets'

export type WebhookOutcome =
  | { kind: 'delivered' | 'failed' | 'skipped' }
  /** Not now: the next attempt's moment, or the end of another worker's attempt. */
  | { kind: 'retry'; at: DateTime }

/** Why an attempt failed: the `reason` label of the deliveries metric. */
type FailureReason = 'http_status' | 'timeout' | 'network' | 'refused_address'

type AttemptResult = WebhookAttempt & { reason: FailureReason | null }

/** Jobs may fire a little early; an attempt due within this margin is due now. */
const EARLY_MARGIN_MS = 1_000

/**
 * One attempt of a delivery. Its row is claimed in a short transaction
 * (a lease: a second worker holding the same job waits for its end), the
 * POST goes out with no database connection held (a slow receiver holds
 * nothing but its own job), and the outcome is written after: a 2xx in one
 * statement, anything else in a second transaction. A 2xx delivers it; anything else schedules the next attempt
 * (WEBHOOK_RETRY_DELAYS), or after the last one fails it for good. An
 * endpoint whose attempts have all failed for 5 days is disabled.
 *
 * At least once: a worker dying after the receiver answered and before the
 * outcome is written sends it again, with the same `webhook-id`.
 */
export async function deliverWebhook(deliveryId: number): Promise<WebhookOutcome> {
  const claim = await claimDelivery(deliveryId)
  if ('kind' in claim) return claim
  const attempt = await attemptDelivery(claim)
  return recordAttempt(deliveryId, attempt)
}

/** What an attempt needs of its delivery and endpoint, read as a plain row. */
type ClaimedDelivery = {
  messageId: string
  payload: Record<string, unknown>
  endpoint: { id: number; url: string; secret: string }
}

async function claimDelivery(deliveryId: number): Promise<WebhookOutcome | ClaimedDelivery> {
  return db.transaction(async (trx) => {
    const row = await trx
      .from('webhook_deliveries as d')
      .join('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(
        'd.status',
        'd.message_id',
        'd.payload',
        'd.scheduled_at',
        'd.leased_until',
        'e.id as endpoint_id',
        'e.url',
        'e.secret',
        'e.disabled_at'
      )
      .where('d.id', deliveryId)
      .forUpdate('d')
      .first()
    if (!row || !WebhookDelivery.isScheduled(row)) return { kind: 'skipped' }
    if (row.disabled_at) {
      await failDeliveries([deliveryId], 'the endpoint is disabled', trx)
      return { kind: 'skipped' }
    }
    const now = Date.now()
    const scheduledAt: Date = row.scheduled_at
    if (scheduledAt.getTime() - now > EARLY_MARGIN_MS) {
      return { kind: 'retry', at: DateTime.fromJSDate(scheduledAt) }
    }
    const leasedUntil: Date | null = row.leased_until
    if (leasedUntil && leasedUntil.getTime() > now) {
      return { kind: 'retry', at: DateTime.fromJSDate(leasedUntil) }
    }
    await trx
      .from('webhook_deliveries')
      .where('id', deliveryId)
      .update({
        leased_until: new Date(now + webhooksConfig.attemptLeaseMs),
        updated_at: new Date(now),
      })
    return {
      messageId: row.message_id,
      payload: row.payload,
      endpoint: { id: row.endpoint_id, url: row.url, secret: row.secret },
    }
  })
}

/** The Standard Webhooks headers of one attempt: id, timestamp, signature of `<id>.<timestamp>.<body>`. */
export function signedHeaders(secret: string, messageId: string, at: Date, body: string) {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  }
}

function failureOf(error: unknown): { reason: FailureReason; error: string } {
  if (error instanceof RefusedWebhookTarget) {
    return { reason: 'refused_address', error: `refused: ${error.message}` }
  }
  const { name, code, message } = error as { name?: string; code?: string; message?: string }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { reason: 'timeout', error: `no answer within ${webhooksConfig.timeoutMs / 1000} s` }
  }
  return { reason: 'network', error: code ? `${code}: ${message}` : String(message ?? error) }
}

async function attemptDelivery({
  messageId,
  payload,
  endpoint,
}: ClaimedDelivery): Promise<AttemptResult> {
  const at = new Date()
  const started = performance.now()
  const body = JSON.stringify(payload)
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const headers = signedHeaders(WebhookEndpoint.signingSecretOf(endpoint), messageId, at, body)
    const answer = await postWebhook(endpoint.url, headers, body)
    const ok = answer.statusCode >= 200 && answer.statusCode < 300
    return {
      at: at.toISOString(),
      statusCode: answer.statusCode,
      error: ok ? null : `answered HTTP ${answer.statusCode}`,
      reason: ok ? null : 'http_status',
      durationMs: elapsed(),
      response: answer.body.slice(0, webhooksConfig.keptResponseCharacters) || null,
    }
  } catch (error) {
    return {
      at: at.toISOString(),
      statusCode: null,
      ...failureOf(error),
      durationMs: elapsed(),
      response: null,
    }
  }
}

/** The wait before the attempt after `attempts` attempts, or null once they are all used. */
function nextDelayMs(attempts: number): number | null {
  return webhooksConfig.retryDelaysMs[attempts - 1] ?? null
}

async function recordAttempt(deliveryId: number, result: AttemptResult): Promise<WebhookOutcome> {
  const { reason, ...attempt } = result
  if (reason === null) {
    if (!(await WebhookDelivery.recordDelivered(deliveryId, attempt, db.connection()))) {
      return { kind: 'skipped' }
    }
    webhookDeliveries.inc({ outcome: 'delivered', reason: '' })
    return { kind: 'delivered' }
  }
  return db.transaction(async (trx) => {
    const delivery = await WebhookDelivery.query({ client: trx })
      .where('id', deliveryId)
      .forUpdate()
      .first()
    // Gone meanwhile (its endpoint was deleted), or settled by another attempt
    if (!delivery || !delivery.isScheduled) return { kind: 'skipped' }
    const endpoint = await WebhookEndpoint.query({ client: trx })
      .where('id', delivery.endpointId)
      .forUpdate()
      .firstOrFail()
    const now = DateTime.now()
    const attempts = delivery.attempts + 1
    delivery.useTransaction(trx).merge({
      attempts,
      leasedUntil: null,
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
      attemptLog: [...delivery.attemptLog, attempt],
    })

    const delayMs = nextDelayMs(attempts)
    if (delayMs === null) {
      await delivery.merge({ status: 'failed' }).save()
    } else {
      await delivery.merge({ scheduledAt: now.plus({ milliseconds: delayMs }) }).save()
    }
    webhookDeliveries.inc({ outcome: delayMs === null ? 'failed' : 'retrying', reason })
    const disabled = await noteEndpointFailure(endpoint, now, trx)
    if (disabled) return { kind: 'failed' }
    return delayMs === null ? { kind: 'failed' } : { kind: 'retry', at: delivery.scheduledAt }
  })
}

/**
 * An endpoint failing since longer than `disableAfterFailingMs` is disabled:
 * its waiting deliveries fail, the user's feed says why. Returns whether it was.
 */
async function noteEndpointFailure(
  endpoint: WebhookEndpoint,
  now: DateTime,
  trx: TransactionClientContract
): Promise<boolean> {
  endpoint.useTransaction(trx)
  if (!endpoint.failingSince) {
    await endpoint.merge({ failingSince: now }).save()
    return false
  }
  if (now.diff(endpoint.failingSince).toMillis() < webhooksConfig.disableAfterFailingMs) {
    return false
  }
  await endpoint.merge({ disabledAt: now }).save()
  const days = Math.round(webhooksConfig.disableAfterFailingMs / 86_400_000)
  await ActivityEvent.record(
    {
      userId: endpoint.userId,
      type: 'webhook_endpoint_disabled',
      label: `Webhook endpoint ${endpoint.url} disabled: every delivery failed for ${days} days`,
      metadata: { endpointId: endpoint.id, url: endpoint.url, failingSince: endpoint.failingSince },
    },
    trx
  )
  const waiting: { id: number }[] = await trx
    .from('webhook_deliveries')
    .select('id')
    .where('endpoint_id', endpoint.id)
    .where('status', 'scheduled')
  await failDeliveries(
    waiting.map(({ id }) => id),
    'the endpoint is disabled',
    trx
  )
  return true
}

/** These deliveries fail without another attempt; their waiting jobs go after commit. */
async function failDeliveries(ids: number[], reason: string, trx: TransactionClientContract) {
  if (ids.length === 0) return
  await trx
    .from('webhook_deliveries')
    .whereIn('id', ids)
    .update({ status: 'failed', last_error: reason, leased_until: null, updated_at: new Date() })
  deliverWebhookJob.removeAfterCommit(trx, ids)
}
