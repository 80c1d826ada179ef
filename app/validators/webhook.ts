import vine from '@vinejs/vine'
import { WEBHOOK_EVENT_TYPES } from '#models/webhook_endpoint'
import { webhookUrlRefusal } from '#services/webhooks/webhook_targets'
import { absoluteUrl, page, perPage } from '#validators/rules'

// In production: https only, to a host that resolves to public addresses only
const webhookTargetRule = vine.createRule(
  async (value, _options, field) => {
    if (typeof value !== 'string') return
    const refusal = await webhookUrlRefusal(value)
    if (refusal) field.report(`The {{ field }} field ${refusal}`, 'webhookTarget', field)
  },
  { isAsync: true }
)

export const createWebhookValidator = vine.create({
  url: absoluteUrl().use(webhookTargetRule()),
  events: vine
    .array(vine.enum(WEBHOOK_EVENT_TYPES))
    .minLength(1)
    .maxLength(WEBHOOK_EVENT_TYPES.length * 2),
})

export const listWebhookDeliveriesValidator = vine.create({
  page: page(),
  perPage: perPage(),
})
