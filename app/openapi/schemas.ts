import type { OpenAPIV3_1 } from 'openapi-types'

type Schema = OpenAPIV3_1.SchemaObject

const string = { type: 'string' } as const
const integer = { type: 'integer' } as const
const dateTime = { type: 'string', format: 'date-time' } as const
const date = { type: 'string', format: 'date' } as const
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
  Health: object({
    status: { const: 'ok' },
    checks: { type: 'array', items: object({ name: string, status: string }) },
  }),
} satisfies Record<string, Schema>

export type SchemaName = keyof typeof schemas
