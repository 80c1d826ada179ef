import type { OpenAPIV3_1 } from 'openapi-types'
import type { WebhookEventType } from '#models/webhook_endpoint'
import { ref } from '#openapi/schemas'

type Schema = OpenAPIV3_1.SchemaObject

const date = { type: 'string', format: 'date' } as const
const nullableString = { oneOf: [{ type: 'string' }, { type: 'null' }] } as Schema

/**
 * What each event says, beside `invoice` (the invoice as the API returns it
 * after the change), in the words of app/services/webhooks/webhook_events.ts.
 */
const EVENTS: Record<WebhookEventType, { summary: string; fields: Record<string, Schema> }> = {
  'invoice.paid': {
    summary: 'An invoice was paid: marked paid from the API or its check-in link',
    fields: {
      paymentNumber: {
        type: 'integer',
        minimum: 1,
        description: '1 for its first payment; a reopened invoice paid again counts on',
      },
    },
  },
  'invoice.reopened': {
    summary: 'A payment was undone: the invoice is pending again',
    fields: { paymentNumber: { type: 'integer', minimum: 1, description: 'The payment undone' } },
  },
  'invoice.cancelled': { summary: 'An invoice was cancelled', fields: {} },
  'checkin.answered': {
    summary: 'The freelancer answered a check-in ("have you been paid?")',
    fields: { answer: { enum: ['paid', 'still_pending'] } },
  },
  'relance.sent': {
    summary: 'A relance went out to the client (one event per invoice the email lists)',
    fields: { sequence: { type: 'integer', minimum: 1, description: 'The relance step' } },
  },
  'relance.failed': {
    summary: 'A relance could not be sent, for good',
    fields: {
      sequence: { type: 'integer', minimum: 1 },
      reason: { type: 'string', description: 'Why, in words (never the raw SMTP reply)' },
    },
  },
  'client.payment_reported': {
    summary: 'The client says the invoice is paid (from the client’s page)',
    fields: { paidOn: { oneOf: [date, { type: 'null' }] }, note: nullableString },
  },
  'client.payment_promised': {
    summary: 'The client promised to pay by a date',
    fields: { promisedOn: date },
  },
  'client.disputed': {
    summary: 'The client disputes the invoice',
    fields: { message: { type: 'string' } },
  },
  'client.replied': {
    summary: 'The client replied to a relance email',
    fields: {
      excerpt: { type: 'string', description: 'The start of the reply, quoted history removed' },
    },
  },
  'client.email_bounced': {
    summary: 'A relance email to the client bounced for good',
    fields: { address: { type: 'string', format: 'email' }, reason: { type: 'string' } },
  },
}

const HEADERS: OpenAPIV3_1.ParameterObject[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The message id: the same on every attempt of one event (deduplicate on it)',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'When this attempt was signed, in Unix seconds',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the endpoint’s secret (the base64 after `whsec_`)',
    schema: { type: 'string' },
  },
]

const operationIdOf = (type: string) =>
  `on${type.replace(/(^|[._])(\w)/g, (_, __, letter: string) => letter.toUpperCase())}`

/** The body of one event: `{type, timestamp, data: {invoice, …fields}}`. */
function payloadOf(type: WebhookEventType): Schema {
  const { fields } = EVENTS[type]
  return {
    type: 'object',
    properties: {
      type: { const: type },
      timestamp: { type: 'string', format: 'date-time', description: 'When it happened' },
      data: {
        type: 'object',
        properties: { invoice: ref('Invoice'), ...fields },
        required: ['invoice', ...Object.keys(fields)],
        additionalProperties: false,
      },
    },
    required: ['type', 'timestamp', 'data'],
    additionalProperties: false,
  }
}

/**
 * The `webhooks` of the document: what Relance POSTs to an endpoint, one
 * entry per event type, each signed per the Standard Webhooks spec.
 */
export function webhookOperations(): Record<string, OpenAPIV3_1.PathItemObject> {
  return Object.fromEntries(
    (Object.keys(EVENTS) as WebhookEventType[]).map((type) => {
      const operation: OpenAPIV3_1.OperationObject = {
        operationId: operationIdOf(type),
        tags: ['Webhooks'],
        summary: EVENTS[type].summary,
        description:
          'Sent to each endpoint subscribed to this type, with a 10 s timeout; any answer but a 2xx is retried over about 24 hours with the same webhook-id. Redirects are not followed.',
        // The receiver authenticates Relance by the signature, not by a scheme of this API
        security: [],
        parameters: HEADERS,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: payloadOf(type) } },
        },
        responses: {
          '2XX': { description: 'Received: no further attempt' },
          'default': { description: 'Anything else: retried later' },
        },
      }
      // openapi-types types a 3.1 path item's operations with its 3.0 types
      return [type, { post: operation } as OpenAPIV3_1.PathItemObject]
    })
  )
}
