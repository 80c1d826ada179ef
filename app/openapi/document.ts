import type { OpenAPIV3_1 } from 'openapi-types'
import env from '#start/env'
import { ref, schemas, type SchemaName } from '#openapi/schemas'
import { listActivityValidator } from '#validators/activity'
import { listClientsValidator, updateClientValidator } from '#validators/client'
import { importRowValidator } from '#validators/import_batch'
import {
  createInvoiceValidator,
  listInvoicesValidator,
  updateInvoiceValidator,
} from '#validators/invoice'
import { listRelancesValidator } from '#validators/relance'
import {
  deleteRelanceTemplateValidator,
  saveRelanceTemplateValidator,
} from '#validators/relance_template'
import { loginValidator, registerValidator, updateProfileValidator } from '#validators/user'

type Operation = OpenAPIV3_1.OperationObject
type Responses = OpenAPIV3_1.ResponsesObject
type Schema = OpenAPIV3_1.SchemaObject

/** Anything that describes its input as JSON Schema: the VineJS validators of app/validators. */
type Described = { toJSONSchema(): unknown }

const jsonBody = (validator: Described): OpenAPIV3_1.RequestBodyObject => ({
  required: true,
  content: { 'application/json': { schema: validator.toJSONSchema() as Schema } },
})

/** The query parameters of a list, from its validator. */
function queryOf(validator: Described): OpenAPIV3_1.ParameterObject[] {
  const { properties = {} } = validator.toJSONSchema() as Schema
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    // openapi-types types parameter schemas with its 3.0 schema type
    schema: schema as OpenAPIV3_1.ParameterObject['schema'],
  }))
}

const json = (description: string, schema: Schema | OpenAPIV3_1.ReferenceObject) => ({
  description,
  content: { 'application/json': { schema } },
})

/** `{data}`: every success body. */
const data = (description: string, name: SchemaName) =>
  json(description, {
    type: 'object',
    properties: { data: ref(name) },
    required: ['data'],
    additionalProperties: false,
  })

/** `{data}` holding every item: a short list, not paginated. */
const list = (description: string, name: SchemaName) =>
  json(description, {
    type: 'object',
    properties: { data: { type: 'array', items: ref(name) } },
    required: ['data'],
    additionalProperties: false,
  })

/** `{data, meta}`: every list. */
const page = (description: string, name: SchemaName) =>
  json(description, {
    type: 'object',
    properties: { data: { type: 'array', items: ref(name) }, meta: ref('PaginationMeta') },
    required: ['data', 'meta'],
    additionalProperties: false,
  })

const ERRORS = {
  400: 'Malformed request (a body that does not parse or decompress)',
  401: 'Missing, expired or revoked bearer token, or wrong credentials',
  403: 'Past a quota of the account: invoices before its address is verified, pending invoices, emails waiting',
  404: 'No such resource among the user’s own',
  409: 'Conflicts with the resource’s state or another resource',
  413: 'Body or upload over the size limit',
  422: 'Validation failed: each error names its field and rule',
  429: 'Rate limited (per client IP, per account or per user): retry after the Retry-After header, or later',
} as const

/** The listed error statuses; any other error answer still has the Error shape. */
function failures(...statuses: (keyof typeof ERRORS)[]): Responses {
  const responses: Responses = { default: json('Error', ref('Error')) }
  for (const status of statuses) responses[status] = json(ERRORS[status], ref('Error'))
  return responses
}

const noContent = { 204: { description: 'Done, no body' } }

/** A check-in link: public, the token is the credential. */
function checkinOperation(answer: 'paid' | 'pending', method: 'GET' | 'POST'): Operation {
  const redirect: OpenAPIV3_1.ResponseObject = {
    description: 'Answer recorded (or refused): to WEB_URL/checkin/<result>',
    headers: {
      Location: {
        description: 'WEB_URL/checkin/paid|pending|already_answered|expired|invalid',
        schema: { type: 'string', format: 'uri' },
      },
    },
  }
  return {
    tags: ['Check-in'],
    summary:
      method === 'GET'
        ? `The "${answer}" link of a check-in email`
        : `The "${answer}" button of the confirmation page`,
    description:
      method === 'GET'
        ? 'With CHECKIN_CONFIRMATION=direct, records the answer and redirects; with `page`, shows a confirmation page whose button POSTs here. HEAD changes nothing.'
        : 'Records the answer and redirects with 303.',
    responses: {
      ...(method === 'GET'
        ? {
            200: {
              description: 'Confirmation page (CHECKIN_CONFIRMATION=page)',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            302: redirect,
          }
        : { 303: redirect }),
      ...failures(429),
    },
  }
}

const bearer: OpenAPIV3_1.SecurityRequirementObject[] = [{ bearer: [] }]

/**
 * One entry per route of start/routes.ts, keyed as the router names it
 * (`METHOD pattern`): a route without an entry fails
 * tests/functional/openapi.spec.ts.
 */
export const routeOperations: Record<string, Operation> = {
  'GET /api/v1/health': {
    tags: ['Health'],
    summary: 'PostgreSQL and Redis reachable',
    responses: {
      200: data('Everything is up', 'Health'),
      503: json('Names what is down', ref('Error')),
    },
  },
  'GET /api/v1/openapi.json': {
    tags: ['Health'],
    summary: 'This document',
    responses: {
      200: json('OpenAPI 3.1 document', { type: 'object', required: ['openapi', 'paths'] }),
    },
  },
  'POST /api/v1/auth/register': {
    tags: ['Auth'],
    summary: 'Create an account; answers a bearer token',
    requestBody: jsonBody(registerValidator),
    responses: { 201: data('Registered', 'Session'), ...failures(409, 422, 429) },
  },
  'POST /api/v1/auth/login': {
    tags: ['Auth'],
    summary: 'Exchange email and password for a bearer token',
    requestBody: jsonBody(loginValidator),
    responses: { 200: data('Signed in', 'Session'), ...failures(401, 422, 429) },
  },
  'POST /api/v1/auth/logout': {
    tags: ['Auth'],
    summary: 'Revoke the token of this request',
    security: bearer,
    responses: { ...noContent, ...failures(401) },
  },
  'GET /api/v1/auth/verify-email/:token': {
    tags: ['Auth'],
    summary: 'The link of the verification email: a confirmation page',
    description:
      'Public: the token is the credential. Mail scanners open links, so a GET only shows a page (bilingual, no script, no-store, no-referrer, noindex, a strict Content-Security-Policy) whose button POSTs to the same URL; the token is not looked up. HEAD changes nothing.',
    responses: {
      200: {
        description: 'The confirmation page',
        content: { 'text/html': { schema: { type: 'string' } } },
      },
      ...failures(429),
    },
  },
  'POST /api/v1/auth/verify-email/:token': {
    tags: ['Auth'],
    summary: 'The button of the verification page: verifies the address',
    description:
      'Verifies the address (the link is valid 48 h after the email was sent) and releases what came due meanwhile, then redirects with 303.',
    responses: {
      303: {
        description: 'To WEB_URL/email-verification/<result>',
        headers: {
          Location: {
            description: 'WEB_URL/email-verification/verified|already_verified|expired|invalid',
            schema: { type: 'string', format: 'uri' },
          },
        },
      },
      ...failures(429),
    },
  },
  'POST /api/v1/auth/verify-email/resend': {
    tags: ['Auth'],
    summary: 'Email a new verification link (the older one stops working)',
    security: bearer,
    responses: {
      202: json('On its way', {
        type: 'object',
        required: ['data'],
        properties: {
          data: {
            type: 'object',
            properties: { message: { type: 'string' } },
            required: ['message'],
          },
        },
      }),
      ...failures(401, 409, 429),
    },
  },
  'GET /api/v1/checkin/:token/paid': checkinOperation('paid', 'GET'),
  'GET /api/v1/checkin/:token/pending': checkinOperation('pending', 'GET'),
  'POST /api/v1/checkin/:token/paid': checkinOperation('paid', 'POST'),
  'POST /api/v1/checkin/:token/pending': checkinOperation('pending', 'POST'),
  'GET /api/v1/me': {
    tags: ['Profile'],
    summary: 'The signed-in user',
    security: bearer,
    responses: { 200: data('The user', 'User'), ...failures(401) },
  },
  'PATCH /api/v1/me': {
    tags: ['Profile'],
    summary: 'Update the signed-in user',
    security: bearer,
    requestBody: jsonBody(updateProfileValidator),
    responses: { 200: data('The updated user', 'User'), ...failures(401, 422) },
  },
  'GET /api/v1/invoices': {
    tags: ['Invoices'],
    summary: 'The user’s invoices, newest due date first',
    security: bearer,
    parameters: queryOf(listInvoicesValidator),
    responses: { 200: page('A page of invoices', 'Invoice'), ...failures(401, 422) },
  },
  'POST /api/v1/invoices': {
    tags: ['Invoices'],
    summary: 'Record an invoice; schedules its check-in and relances',
    security: bearer,
    requestBody: jsonBody(createInvoiceValidator),
    responses: { 201: data('Created', 'Invoice'), ...failures(401, 403, 409, 413, 422, 429) },
  },
  'GET /api/v1/invoices/:id': {
    tags: ['Invoices'],
    summary: 'One invoice, with its latest check-in and its relances',
    security: bearer,
    responses: { 200: data('The invoice', 'Invoice'), ...failures(401, 404) },
  },
  'PATCH /api/v1/invoices/:id': {
    tags: ['Invoices'],
    summary: 'Update an invoice; a new due date reschedules its check-in and relances',
    security: bearer,
    requestBody: jsonBody(updateInvoiceValidator),
    responses: { 200: data('The invoice', 'Invoice'), ...failures(401, 404, 409, 422) },
  },
  'POST /api/v1/invoices/:id/mark-paid': {
    tags: ['Invoices'],
    summary: 'Mark paid: one rubis, relances stopped (again: no second rubis)',
    security: bearer,
    responses: { 200: data('The paid invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/invoices/:id/cancel': {
    tags: ['Invoices'],
    summary: 'Cancel: check-in and relances stopped',
    security: bearer,
    responses: { 200: data('The cancelled invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/invoices/:id/reopen': {
    tags: ['Invoices'],
    summary:
      'Undo a wrong "paid": pending again, rubis −1, relances still ahead and the check-in scheduled again',
    security: bearer,
    responses: { 200: data('The reopened invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/import-batches': {
    tags: ['Import batches'],
    summary: 'Upload a CSV file or JSON rows as a draft, every row with its errors',
    security: bearer,
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { file: { type: 'string', contentMediaType: 'text/csv' } },
            required: ['file'],
          },
        },
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              rows: { type: 'array', items: importRowValidator.toJSONSchema() as Schema },
            },
            required: ['rows'],
          },
        },
      },
    },
    responses: { 201: data('The draft', 'ImportBatch'), ...failures(400, 401, 403, 413, 422, 429) },
  },
  'GET /api/v1/import-batches/:id': {
    tags: ['Import batches'],
    summary: 'One import batch, with its rows',
    security: bearer,
    responses: { 200: data('The batch', 'ImportBatch'), ...failures(401, 404) },
  },
  'DELETE /api/v1/import-batches/:id': {
    tags: ['Import batches'],
    summary: 'Discard a draft',
    security: bearer,
    responses: { ...noContent, ...failures(401, 404, 409) },
  },
  'POST /api/v1/import-batches/:id/validate': {
    tags: ['Import batches'],
    summary: 'Import the valid rows of a draft, in one transaction',
    security: bearer,
    responses: {
      200: data('The validated batch', 'ImportBatch'),
      ...failures(401, 403, 404, 409, 429),
    },
  },
  'GET /api/v1/clients': {
    tags: ['Clients'],
    summary: 'The user’s clients',
    security: bearer,
    parameters: queryOf(listClientsValidator),
    responses: { 200: page('A page of clients', 'Client'), ...failures(401, 422) },
  },
  'GET /api/v1/clients/:id': {
    tags: ['Clients'],
    summary: 'One client',
    security: bearer,
    responses: { 200: data('The client', 'Client'), ...failures(401, 404) },
  },
  'PATCH /api/v1/clients/:id': {
    tags: ['Clients'],
    summary: 'Update a client; `remindersPausedUntil` pauses its relances',
    security: bearer,
    requestBody: jsonBody(updateClientValidator),
    responses: { 200: data('The client', 'Client'), ...failures(401, 404, 409, 422) },
  },
  'GET /api/v1/relances': {
    tags: ['Relances'],
    summary: 'The user’s relances, each with its invoice and client',
    security: bearer,
    parameters: queryOf(listRelancesValidator),
    responses: { 200: page('A page of relances', 'Relance'), ...failures(401, 422) },
  },
  'GET /api/v1/invoices/:id/relances/:sequence/preview': {
    tags: ['Relances'],
    summary: 'Exactly what this relance would send now, built by the code that sends it',
    security: bearer,
    responses: {
      200: data('The relance as it would leave', 'RelancePreview'),
      ...failures(401, 404),
    },
  },
  'GET /api/v1/relance-templates': {
    tags: ['Relances'],
    summary: 'The user’s own wording of relance steps, per locale',
    security: bearer,
    responses: { 200: list('Saved templates', 'RelanceTemplate'), ...failures(401) },
  },
  'PUT /api/v1/relance-templates/:sequence': {
    tags: ['Relances'],
    summary: 'Save the subject and body of a step in a locale; placeholders {{clientName}} …',
    security: bearer,
    requestBody: jsonBody(saveRelanceTemplateValidator),
    responses: { 200: data('The saved template', 'RelanceTemplate'), ...failures(401, 404, 422) },
  },
  'DELETE /api/v1/relance-templates/:sequence': {
    tags: ['Relances'],
    summary: 'Back to the built-in text of a step in a locale',
    security: bearer,
    parameters: queryOf(deleteRelanceTemplateValidator),
    responses: { ...noContent, ...failures(401, 404, 422) },
  },
  'GET /api/v1/activity': {
    tags: ['Activity'],
    summary: 'The user’s activity feed, newest first',
    security: bearer,
    parameters: queryOf(listActivityValidator),
    responses: { 200: page('A page of events', 'ActivityEvent'), ...failures(401, 422) },
  },
}

/** `/api/v1/invoices/:id` → `/invoices/{id}` (the server URL holds the prefix). */
export function openApiPath(pattern: string) {
  return pattern.replace(/^\/api\/v1/, '').replace(/:(\w+)/g, '{$1}')
}

const PATH_PARAMETERS: Record<string, OpenAPIV3_1.ParameterObject> = {
  id: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
  token: {
    name: 'token',
    in: 'path',
    required: true,
    description: 'The token of the email’s link (a check-in or an address verification)',
    schema: { type: 'string' },
  },
  sequence: {
    name: 'sequence',
    in: 'path',
    required: true,
    description: 'The relance step: 1 for the first relance, 2 for the second …',
    schema: { type: 'integer', minimum: 1 },
  },
}

function buildDocument(): OpenAPIV3_1.Document {
  const paths: OpenAPIV3_1.PathsObject = {}
  for (const [route, operation] of Object.entries(routeOperations)) {
    const [method, pattern] = route.split(' ')
    const path = openApiPath(pattern)
    const parameters = [...pattern.matchAll(/:(\w+)/g)].map(([, name]) => PATH_PARAMETERS[name])
    paths[path] = {
      ...paths[path],
      ...(parameters.length > 0 ? { parameters } : {}),
      [method.toLowerCase()]: operation,
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Relance API',
      version: '1',
      description:
        'JSON, camelCase. Success bodies are `{data}`, lists `{data, meta}`; errors `{errors: [{message, field?, rule?}]}`. Browsers: CORS for WEB_URL and CORS_ORIGINS, bearer tokens, no cookies.',
    },
    servers: [{ url: `${env.get('APP_URL').replace(/\/+$/, '')}/api/v1` }],
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    paths,
  }
}

let document: OpenAPIV3_1.Document | undefined

/** Built once per process: it depends on nothing but code and APP_URL. */
export function openApiDocument(): OpenAPIV3_1.Document {
  document ??= buildDocument()
  return document
}
