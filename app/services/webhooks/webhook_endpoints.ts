import { randomBytes } from 'node:crypto'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import webhooksConfig from '#config/webhooks'
import WebhookDelivery from '#models/webhook_delivery'
import WebhookEndpoint, { type WebhookEventType } from '#models/webhook_endpoint'
import ConflictException from '#exceptions/conflict_exception'
import deliverWebhookJob from '#jobs/deliver_webhook_job'
import { findOwned } from '#support/owned_records'

/** A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks). */
function newSigningSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/**
 * Saves an endpoint (its URL already checked by the validator) with a new
 * secret, which the answer shows once. The user's row is locked so that two
 * requests cannot both pass the cap.
 */
export async function createWebhookEndpoint(
  userId: number,
  { url, events }: { url: string; events: WebhookEventType[] },
  trx: TransactionClientContract
) {
  await trx.from('users').where('id', userId).forUpdate().select('id')
  const [{ total }] = await trx
    .from('webhook_endpoints')
    .where('user_id', userId)
    .count('* as total')
  if (Number(total) >= webhooksConfig.maxEndpointsPerUser) {
    throw new ConflictException(
      `An account has at most ${webhooksConfig.maxEndpointsPerUser} webhook endpoints: delete one first`
    )
  }
  return WebhookEndpoint.create(
    {
      userId,
      url: new URL(url).href,
      events: [...new Set(events)],
      secret: WebhookEndpoint.encryptSecret(newSigningSecret()),
      failingSince: null,
      disabledAt: null,
    },
    { client: trx }
  )
}

export function listWebhookEndpoints(userId: number) {
  return WebhookEndpoint.query().where('user_id', userId).orderBy('id')
}

/** Deletes an endpoint with its deliveries; their waiting jobs go after commit. */
export async function deleteWebhookEndpoint(
  userId: number,
  endpointId: number,
  trx: TransactionClientContract
) {
  const endpoint = await findOwned(WebhookEndpoint, userId, endpointId, trx)
  const waiting: { id: number }[] = await trx
    .from('webhook_deliveries')
    .select('id')
    .where('endpoint_id', endpoint.id)
    .where('status', 'scheduled')
  await endpoint.useTransaction(trx).delete()
  deliverWebhookJob.removeAfterCommit(
    trx,
    waiting.map(({ id }) => id)
  )
}

/** A page of an endpoint's deliveries, newest first; another user's endpoint is a 404. */
export async function listWebhookDeliveries(
  userId: number,
  endpointId: number,
  { page = 1, perPage = 20 }: { page?: number; perPage?: number }
) {
  const endpoint = await findOwned(WebhookEndpoint, userId, endpointId)
  return WebhookDelivery.query()
    .where('endpoint_id', endpoint.id)
    .orderBy('id', 'desc')
    .paginate(page, perPage)
}
