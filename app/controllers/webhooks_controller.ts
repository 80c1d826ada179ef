import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import WebhookEndpointTransformer from '#transformers/webhook_endpoint_transformer'
import WebhookDeliveryTransformer from '#transformers/webhook_delivery_transformer'
import { createWebhookValidator, listWebhookDeliveriesValidator } from '#validators/webhook'
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
} from '#services/webhooks/webhook_endpoints'

export default class WebhooksController {
  async index({ auth, serialize }: HttpContext) {
    const endpoints = await listWebhookEndpoints(auth.getUserOrFail().id)
    return serialize(WebhookEndpointTransformer.transform(endpoints))
  }

  async store({ auth, request, response, serialize }: HttpContext) {
    const payload = await request.validateUsing(createWebhookValidator)
    const userId = auth.getUserOrFail().id
    const endpoint = await db.transaction((trx) => createWebhookEndpoint(userId, payload, trx))
    response.status(201)
    return serialize(WebhookEndpointTransformer.transform(endpoint).useVariant('withSecret'))
  }

  async destroy({ auth, params, response }: HttpContext) {
    const userId = auth.getUserOrFail().id
    await db.transaction((trx) => deleteWebhookEndpoint(userId, params.id, trx))
    return response.noContent()
  }

  async deliveries({ auth, params, request, serialize }: HttpContext) {
    const filters = await request.validateUsing(listWebhookDeliveriesValidator)
    const page = await listWebhookDeliveries(auth.getUserOrFail().id, params.id, filters)
    return serialize(WebhookDeliveryTransformer.paginate(page.all(), page.getMeta()))
  }
}
