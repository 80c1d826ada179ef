import type { OpenAPIV3_1 } from 'openapi-types'
import { WEBHOOK_EVENT_TYPES } from '#models/webhook_endpoint'
import { AGE_BUCKETS } from '#services/invoices/receivables'

type Schema = OpenAPIV3_1.SchemaObject

const string = { type: 'string' } as const
const integer = { type: 'integer' } as const
const dateTime = { type: 'string', format: 'date-time' } as const
const date = { type: 'string', format: 'date' } as const
const number = { type: 'number' } as const
const nullable = (schema: Schema | OpenAPIV3_1.ReferenceObject): Schema => ({
  oneOf: [schema, { type: 'null' }],
})

/** An object whose every property is required, and nothing else. */
function object(properties: Record<string, Schema | OpenAPIV3_1.ReferenceObject>): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  }
}

const webhookEndpoint = {
  id: integer,
  url: { type: 'string', format: 'uri' },
  events: { type: 'array', items: { enum: [...WEBHOOK_EVENT_TYPES] } },
  failingSince: {
    ...nullable(dateTime),
    description: 'Since when every attempt has failed; null after a success',
  },
  disabledAt: {
    ...nullable(dateTime),
    description: 'Set once every attempt failed for 5 days: nothing more is sent to it',
  },
  createdAt: dateTime,
} satisfies Record<string, Schema>

export const ref = (name: SchemaName): OpenAPIV3_1.ReferenceObject => ({
  $ref: `#/components/schemas/${name}`,
})

/**
 * The JSON shapes of app/transformers (and of the error handler), as the
 * API sends them: a transformer that gains or loses a field fails the
 * functional tests until this file says the same.
 */
export const schemas = {
  Error: object({
    errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { message: string, field: string, rule: string },
        required: ['message'],
        additionalProperties: false,
      },
    },
  }),
  PaginationMeta: object({
    total: integer,
    perPage: integer,
    currentPage: integer,
    lastPage: integer,
  }),
  User: object({
    id: integer,
    email: { type: 'string', format: 'email' },
    fullName: string,
    rubis: { type: 'integer', minimum: 0 },
    timezone: string,
    locale: { enum: ['fr', 'en'] },
    relanceOffsets: { type: 'array', items: integer },
    emailVerifiedAt: nullable(dateTime),
    checkinBeforeEachRelance: { type: 'boolean' },
    paymentInstructions: nullable(string),
    latePenaltyRate: nullable({ type: 'number', minimum: 0, maximum: 100 }),
    thankClientsOnPayment: { type: 'boolean' },
    iban: nullable({ type: 'string', description: 'Without spaces; null when not given' }),
    bic: nullable(string),
    accountHolder: {
      type: 'string',
      description: 'Who transfers go to: the holder given, else the full name',
    },
    createdAt: dateTime,
  }),
  Session: object({
    user: { $ref: '#/components/schemas/User' },
    token: { type: 'string', description: 'Send it as `Authorization: Bearer <token>`' },
  }),
  ClientSummary: object({ id: integer, name: string, email: string }),
  Client: object({
    id: integer,
    name: string,
    email: string,
    locale: { enum: ['fr', 'en'] },
    isBusiness: { type: 'boolean' },
    remindersPausedUntil: nullable(date),
    emailStatus: {
      enum: ['ok', 'bounced'],
      description:
        '`bounced`: nothing is sent to the address until it changes or is set back to `ok`',
    },
  }),
  RelanceTemplate: object({
    sequence: integer,
    locale: { enum: ['fr', 'en'] },
    subject: string,
    body: string,
    updatedAt: dateTime,
  }),
  RelancePreview: object({
    to: { type: 'string', format: 'email' },
    replyTo: { type: 'string', format: 'email' },
    subject: string,
    text: string,
    scheduledAt: dateTime,
  }),
  Checkin: object({
    status: { enum: ['scheduled', 'sent', 'answered', 'cancelled'] },
    answer: nullable({ enum: ['paid', 'still_pending'] }),
    reason: {
      enum: ['due', 'before_relance', 'payment_reported', 'client_replied'],
      description: 'The due date, the weekday before a later relance, or what the client said',
    },
    scheduledAt: dateTime,
    sentAt: nullable(dateTime),
    answeredAt: nullable(dateTime),
  }),
  Hold: {
    ...object({
      reason: {
        enum: ['manual', 'payment_reported', 'payment_promised', 'disputed', 'client_replied'],
      },
      since: dateTime,
      until: nullable(dateTime),
      note: nullable(string),
    }),
    description:
      'The relances wait: those falling due before `until` go at the first weekday 09:00 after it; `until` null: until released',
  },
  RelanceStep: object({
    sequence: integer,
    status: { enum: ['scheduled', 'sent', 'cancelled', 'failed'] },
    scheduledAt: dateTime,
    sentAt: nullable(dateTime),
  }),
  Invoice: object({
    id: integer,
    number: string,
    status: { enum: ['pending', 'paid', 'cancelled'] },
    amountCents: integer,
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    issuedAt: nullable(date),
    dueDate: date,
    paidAt: nullable(dateTime),
    paidVia: nullable({ enum: ['manual', 'checkin'] }),
    hold: nullable({ $ref: '#/components/schemas/Hold' }),
    client: { $ref: '#/components/schemas/ClientSummary' },
    checkin: nullable({ $ref: '#/components/schemas/Checkin' }),
    relances: { type: 'array', items: { $ref: '#/components/schemas/RelanceStep' } },
  }),
  Relance: object({
    id: integer,
    sequence: integer,
    status: { enum: ['scheduled', 'sent', 'cancelled', 'failed'] },
    scheduledAt: dateTime,
    sentAt: nullable(dateTime),
    failureReason: nullable(string),
    invoice: object({
      id: integer,
      number: string,
      status: { enum: ['pending', 'paid', 'cancelled'] },
      amountCents: integer,
      currency: string,
      dueDate: date,
    }),
    client: { $ref: '#/components/schemas/ClientSummary' },
  }),
  ActivityEvent: object({
    id: integer,
    type: { type: 'string', examples: ['invoice_created', 'invoice_paid', 'relance_sent'] },
    label: string,
    invoiceId: nullable(integer),
    metadata: { type: 'object' },
    createdAt: dateTime,
  }),
  ImportBatch: object({
    id: integer,
    status: { enum: ['draft', 'validated', 'discarded'] },
    filename: nullable(string),
    totalRows: integer,
    validRows: integer,
    invalidRows: integer,
    rows: {
      type: 'array',
      items: object({
        line: integer,
        data: { type: 'object' },
        errors: { type: 'array', items: object({ field: string, message: string }) },
      }),
    },
  }),
  WebhookEndpoint: object(webhookEndpoint),
  WebhookEndpointCreated: object({
    ...webhookEndpoint,
    secret: {
      type: 'string',
      pattern: '^whsec_[A-Za-z0-9+/=]+$',
      description:
        'The signing secret (Standard Webhooks), shown this once: verify each delivery with it',
    },
  }),
  WebhookDelivery: object({
    id: integer,
    eventType: { enum: [...WEBHOOK_EVENT_TYPES] },
    messageId: { type: 'string', description: 'The webhook-id header, the same on every attempt' },
    status: { enum: ['scheduled', 'delivered', 'failed'] },
    attempts: integer,
    lastStatusCode: nullable(integer),
    lastError: nullable(string),
    nextAttemptAt: nullable(dateTime),
    deliveredAt: nullable(dateTime),
    createdAt: dateTime,
    attemptLog: {
      type: 'array',
      items: object({
        at: dateTime,
        statusCode: { ...nullable(integer), description: 'Null when no answer came' },
        error: nullable(string),
        durationMs: integer,
        response: { ...nullable(string), description: 'The first 500 characters of the answer' },
      }),
    },
    payload: { type: 'object', description: 'The body sent: {type, timestamp, data}' },
  }),
  Receivables: object({
    asOf: { ...date, description: 'Today in the user’s timezone: days late count up to it' },
    timezone: string,
    currencies: {
      type: 'array',
      items: object({
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
        outstanding: object({
          cents: integer,
          count: integer,
          byAge: {
            type: 'array',
            description: 'Pending invoices by days past their due date, every bucket in order',
            items: object({ bucket: { enum: [...AGE_BUCKETS] }, cents: integer, count: integer }),
          },
        }),
        dso: object({
          days: {
            ...nullable(number),
            description:
              'Days sales outstanding: outstanding ÷ invoiced over the period × its days; null when nothing was invoiced then',
          },
          periodDays: integer,
          invoicedCents: { ...integer, description: 'Invoiced over the period (by issue date)' },
        }),
        payments: object({
          periodDays: integer,
          count: { ...integer, description: 'Invoices paid over the period' },
          onTimeRate: {
            ...nullable({ type: 'number', minimum: 0, maximum: 1 }),
            description: 'The share of them paid on or before their due date',
          },
          averageDaysLate: {
            ...nullable(number),
            description: 'Their average days late, 0 for one paid on time',
          },
        }),
        promised: {
          type: 'array',
          description:
            'Pending invoices whose client promised a payment date on their page, by the week of that date (weekOf: its Monday, in the user’s timezone), oldest first',
          items: object({ weekOf: date, cents: integer, count: integer }),
        },
      }),
    },
  }),
  Health: object({
    status: { const: 'ok' },
    checks: { type: 'array', items: object({ name: string, status: string }) },
  }),
} satisfies Record<string, Schema>

export type SchemaName = keyof typeof schemas
