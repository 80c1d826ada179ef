import type { OpenAPIV3_1 } from 'openapi-types'
import env from '#start/env'
import { ref, schemas, type SchemaName } from '#openapi/schemas'
import { listActivityValidator } from '#validators/activity'
import { listClientsValidator, updateClientValidator } from '#validators/client'
import { importRowValidator, updateImportRowValidator } from '#validators/import_batch'
import {
  createInvoiceValidator,
  holdInvoiceValidator,
  listInvoicesValidator,
  updateInvoiceValidator,
} from '#validators/invoice'
import { listRelancesValidator } from '#validators/relance'
import {
  deleteRelanceTemplateValidator,
  saveRelanceTemplateValidator,
} from '#validators/relance_template'
import { loginValidator, registerValidator, updateProfileValidator } from '#validators/user'
import {
  disputeInvoiceValidator,
  promisePaymentValidator,
  reportPaymentValidator,
} from '#validators/client_page'
import { createWebhookValidator, listWebhookDeliveriesValidator } from '#validators/webhook'
import { inboundMessageValidator } from '#validators/inbound'
import { webhookOperations } from '#openapi/webhooks'

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
  415: 'Body of a media type the route does not take',
  422: 'Validation failed: each error names its field and rule',
  429: 'Rate limited (per client IP, per account or per user): retry after the Retry-After header, or later',
  503: 'The document store (the disk or the S3 bucket) did not answer: nothing changed, retry later',
} as const

/** The listed error statuses; any other error answer still has the Error shape. */
function failures(...statuses: (keyof typeof ERRORS)[]): Responses {
  const responses: Responses = { default: json('Error', ref('Error')) }
  for (const status of statuses) responses[status] = json(ERRORS[status], ref('Error'))
  return responses
}

const noContent = { 204: { description: 'Done, no body' } }

/** A PDF answered as a download, whatever opens it. */
const pdfDownload = (description: string): OpenAPIV3_1.ResponseObject => ({
  description: `${description}. \`Content-Disposition: attachment\` (an ASCII \`filename\` and the exact name in \`filename*\`, RFC 5987), \`X-Content-Type-Options: nosniff\``,
  headers: {
    'Content-Disposition': {
      schema: { type: 'string' },
      example: 'attachment; filename="F-2026-001.pdf"; filename*=UTF-8\'\'F-2026-001.pdf',
    },
  },
  content: {
    'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
  },
})

/** A PDF in a multipart field: known by its %PDF- header and its %%EOF end, 5 MB at most. */
const pdfFile = {
  type: 'string',
  contentMediaType: 'application/pdf',
  description: 'A PDF (read from its bytes: %PDF- header, %%EOF end), 5 MB at most',
} as const

/** A check-in link: public, the token is the credential. */
function checkinOperation(answer: 'paid' | 'pending', method: 'GET' | 'POST'): Operation {
  const capitalized = answer === 'paid' ? 'Paid' : 'Pending'
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
    operationId: method === 'GET' ? `answerCheckin${capitalized}` : `confirmCheckin${capitalized}`,
    tags: ['Check-in'],
    security: [],
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

const html = (description: string): OpenAPIV3_1.ResponseObject => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
})

/** The answers every request of the client's page may get, as HTML pages. */
const clientPageFailures = {
  404: html(
    'The link is unknown or expired (60 days after its email), or the invoice is not this client’s'
  ),
  429: html('Rate limited per IP (RATE_LIMIT_CLIENT_PAGE_PER_MINUTE)'),
}

/** A form of the client's page: urlencoded fields, a 303 back to the page that confirms. */
function clientFormOperation(
  operationId: string,
  summary: string,
  description: string,
  schema: Schema
): Operation {
  return {
    operationId,
    tags: ['Client page'],
    // The link token in the path is the credential
    security: [],
    summary,
    description: `${description} Answers HTML, never JSON. The latest signal replaces an earlier hold; a repeated post records nothing new.`,
    requestBody: {
      required: true,
      content: { 'application/x-www-form-urlencoded': { schema } },
    },
    responses: {
      303: {
        description:
          'Recorded, or nothing to do: to `/client/<token>?done=<action>`, or `done=settled` when the invoice is no longer pending (nothing recorded)',
        headers: { Location: { schema: { type: 'string' } } },
      },
      422: html(
        'A field is refused: the page again, the form open with its error; nothing recorded'
      ),
      ...clientPageFailures,
    },
  }
}

/**
 * One entry per route of start/routes.ts, keyed as the router names it
 * (`METHOD pattern`): a route without an entry fails
 * tests/functional/openapi.spec.ts.
 */
export const routeOperations: Record<string, Operation> = {
  'GET /api/v1/health': {
    operationId: 'getHealth',
    security: [],
    tags: ['Health'],
    summary: 'PostgreSQL and Redis reachable',
    responses: {
      200: data('Everything is up', 'Health'),
      503: json('Names what is down', ref('Error')),
    },
  },
  'GET /api/v1/openapi.json': {
    operationId: 'getOpenApiDocument',
    security: [],
    tags: ['Health'],
    summary: 'This document',
    responses: {
      200: json('OpenAPI 3.1 document', {
        type: 'object',
        properties: { openapi: { type: 'string' }, paths: { type: 'object' } },
        required: ['openapi', 'paths'],
      }),
    },
  },
  'POST /api/v1/auth/register': {
    operationId: 'register',
    security: [],
    tags: ['Auth'],
    summary: 'Create an account; answers a bearer token',
    requestBody: jsonBody(registerValidator),
    responses: { 201: data('Registered', 'Session'), ...failures(409, 422, 429) },
  },
  'POST /api/v1/auth/login': {
    operationId: 'login',
    security: [],
    tags: ['Auth'],
    summary: 'Exchange email and password for a bearer token',
    requestBody: jsonBody(loginValidator),
    responses: { 200: data('Signed in', 'Session'), ...failures(401, 422, 429) },
  },
  'POST /api/v1/auth/logout': {
    operationId: 'logout',
    tags: ['Auth'],
    summary: 'Revoke the token of this request',
    security: bearer,
    responses: { ...noContent, ...failures(401) },
  },
  'GET /api/v1/auth/verify-email/:token': {
    operationId: 'openVerificationLink',
    security: [],
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
    operationId: 'verifyEmail',
    // The token in the path is the credential
    security: [],
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
    operationId: 'resendVerificationEmail',
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
    operationId: 'getMe',
    tags: ['Profile'],
    summary: 'The signed-in user',
    security: bearer,
    responses: { 200: data('The user', 'User'), ...failures(401) },
  },
  'PATCH /api/v1/me': {
    operationId: 'updateMe',
    tags: ['Profile'],
    summary: 'Update the signed-in user',
    security: bearer,
    requestBody: jsonBody(updateProfileValidator),
    responses: { 200: data('The updated user', 'User'), ...failures(401, 422) },
  },
  'GET /api/v1/invoices': {
    operationId: 'listInvoices',
    tags: ['Invoices'],
    summary: 'The user’s invoices, newest due date first',
    security: bearer,
    parameters: queryOf(listInvoicesValidator),
    responses: { 200: page('A page of invoices', 'Invoice'), ...failures(401, 422) },
  },
  'POST /api/v1/invoices': {
    operationId: 'createInvoice',
    tags: ['Invoices'],
    summary: 'Record an invoice; schedules its check-in and relances',
    security: bearer,
    requestBody: jsonBody(createInvoiceValidator),
    responses: { 201: data('Created', 'Invoice'), ...failures(401, 403, 409, 413, 422, 429) },
  },
  'GET /api/v1/invoices/:id': {
    operationId: 'getInvoice',
    tags: ['Invoices'],
    summary: 'One invoice, with its latest check-in and its relances',
    security: bearer,
    responses: { 200: data('The invoice', 'Invoice'), ...failures(401, 404) },
  },
  'PATCH /api/v1/invoices/:id': {
    operationId: 'updateInvoice',
    tags: ['Invoices'],
    summary: 'Update an invoice; a new due date reschedules its check-in and relances',
    security: bearer,
    requestBody: jsonBody(updateInvoiceValidator),
    responses: { 200: data('The invoice', 'Invoice'), ...failures(401, 404, 409, 422) },
  },
  'POST /api/v1/invoices/:id/mark-paid': {
    operationId: 'markInvoicePaid',
    tags: ['Invoices'],
    summary: 'Mark paid: one rubis, relances stopped (again: no second rubis)',
    security: bearer,
    responses: { 200: data('The paid invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/invoices/:id/cancel': {
    operationId: 'cancelInvoice',
    tags: ['Invoices'],
    summary: 'Cancel: check-in and relances stopped',
    security: bearer,
    responses: { 200: data('The cancelled invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/invoices/:id/reopen': {
    operationId: 'reopenInvoice',
    tags: ['Invoices'],
    summary:
      'Undo a wrong "paid": pending again, rubis −1, relances still ahead and the check-in scheduled again',
    security: bearer,
    responses: { 200: data('The reopened invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'POST /api/v1/invoices/:id/hold': {
    operationId: 'holdInvoice',
    tags: ['Invoices'],
    summary:
      'Hold the relances of a pending invoice (reason `manual`), through `until` or until released; replaces any earlier hold',
    description:
      'A relance falling due during the hold goes at the first weekday 09:00 (user time) after it. `until` is a calendar day in the user’s zone, today to a year ahead.',
    security: bearer,
    requestBody: { ...jsonBody(holdInvoiceValidator), required: false },
    responses: { 200: data('The held invoice', 'Invoice'), ...failures(401, 404, 409, 422) },
  },
  'POST /api/v1/invoices/:id/release': {
    operationId: 'releaseInvoice',
    tags: ['Invoices'],
    summary:
      'Lift the hold: relances already due go at the next weekday 09:00, in one email per client',
    security: bearer,
    responses: { 200: data('The released invoice', 'Invoice'), ...failures(401, 404, 409) },
  },
  'PUT /api/v1/invoices/:id/document': {
    operationId: 'attachInvoiceDocument',
    tags: ['Documents'],
    summary: 'Upload the invoice’s PDF (replaces the one it had)',
    description:
      'Multipart field `file`: a PDF by its bytes (`%PDF-` header, `%%EOF` end; not its name or content type), 5 MB at most: 413 past it, 422 for anything else, nothing stored. Relances attach it as `<number>.pdf`; the client’s page links it.',
    security: bearer,
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', properties: { file: pdfFile }, required: ['file'] },
        },
      },
    },
    responses: {
      200: data('The invoice, with its `document`', 'Invoice'),
      ...failures(400, 401, 404, 413, 422, 503),
    },
  },
  'GET /api/v1/invoices/:id/document': {
    operationId: 'downloadInvoiceDocument',
    tags: ['Documents'],
    summary: 'The invoice’s PDF, under the name it was uploaded with',
    security: bearer,
    responses: {
      200: pdfDownload('The PDF'),
      ...failures(401, 404, 503),
    },
  },
  'DELETE /api/v1/invoices/:id/document': {
    operationId: 'deleteInvoiceDocument',
    tags: ['Documents'],
    summary: 'Remove the invoice’s PDF (none: nothing to do); the file is deleted',
    security: bearer,
    responses: { ...noContent, ...failures(401, 404) },
  },
  'POST /api/v1/import-batches': {
    operationId: 'createImportBatch',
    tags: ['Import batches'],
    summary:
      'Upload a CSV file, Factur-X / ZUGFeRD PDFs, or JSON rows as a draft, every row with its errors',
    description:
      'One of: multipart `file` (a CSV, 5 MB at most); multipart `files` (1 to 50 PDFs, each 5 MB at most, 50 MB together): each PDF gives one row from the CII XML it carries (`factur-x.xml`, `zugferd-invoice.xml` or `xrechnung.xml`), or a row error "no Factur-X data in this PDF", and becomes the invoice’s document on validate; a file that is no whole PDF, or whose XML cannot be read safely (a DTD, entities, over 2 MB, a PDF that takes over 5 s or too much memory to read), refuses the import (422 naming it), nothing stored; JSON `{rows}`.',
    security: bearer,
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: {
              file: { type: 'string', contentMediaType: 'text/csv' },
              files: { type: 'array', minItems: 1, maxItems: 50, items: pdfFile },
            },
            oneOf: [{ required: ['file'] }, { required: ['files'] }],
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
    responses: {
      201: data('The draft', 'ImportBatch'),
      ...failures(400, 401, 403, 413, 422, 429, 503),
    },
  },
  'GET /api/v1/import-batches/:id': {
    operationId: 'getImportBatch',
    tags: ['Import batches'],
    summary: 'One import batch, with its rows',
    security: bearer,
    responses: { 200: data('The batch', 'ImportBatch'), ...failures(401, 404) },
  },
  'DELETE /api/v1/import-batches/:id': {
    operationId: 'discardImportBatch',
    tags: ['Import batches'],
    summary: 'Discard a draft (its PDFs are deleted)',
    security: bearer,
    responses: { ...noContent, ...failures(401, 404, 409) },
  },
  'PATCH /api/v1/import-batches/:id/rows/:line': {
    operationId: 'updateImportRow',
    tags: ['Import batches'],
    summary: 'Complete a row of a draft (a due date or an email its PDF lacked) and check it again',
    description:
      'The fields of `data` replace the row’s (null clears one); the row is then checked as `POST /invoices` checks an invoice, and against the numbers of the earlier rows and of the user’s invoices: its errors are replaced by what is wrong now. Only a draft (409 otherwise).',
    security: bearer,
    requestBody: jsonBody(updateImportRowValidator),
    responses: { 200: data('The draft', 'ImportBatch'), ...failures(401, 404, 409, 422) },
  },
  'POST /api/v1/import-batches/:id/validate': {
    operationId: 'validateImportBatch',
    tags: ['Import batches'],
    summary:
      'Import the valid rows of a draft, in one transaction; each PDF of a Factur-X import becomes its invoice’s document',
    security: bearer,
    responses: {
      200: data('The validated batch', 'ImportBatch'),
      ...failures(401, 403, 404, 409, 429),
    },
  },
  'GET /api/v1/clients': {
    operationId: 'listClients',
    tags: ['Clients'],
    summary: 'The user’s clients',
    security: bearer,
    parameters: queryOf(listClientsValidator),
    responses: { 200: page('A page of clients', 'Client'), ...failures(401, 422) },
  },
  'GET /api/v1/clients/:id': {
    operationId: 'getClient',
    tags: ['Clients'],
    summary: 'One client',
    security: bearer,
    responses: { 200: data('The client', 'Client'), ...failures(401, 404) },
  },
  'PATCH /api/v1/clients/:id': {
    operationId: 'updateClient',
    tags: ['Clients'],
    summary:
      'Update a client; `remindersPausedUntil` pauses its relances; `emailStatus: ok` (or a new `email`) ends a bounce, and what came due goes at the next weekday 09:00',
    security: bearer,
    requestBody: jsonBody(updateClientValidator),
    responses: { 200: data('The client', 'Client'), ...failures(401, 404, 409, 422) },
  },
  'GET /api/v1/relances': {
    operationId: 'listRelances',
    tags: ['Relances'],
    summary: 'The user’s relances, each with its invoice and client',
    security: bearer,
    parameters: queryOf(listRelancesValidator),
    responses: { 200: page('A page of relances', 'Relance'), ...failures(401, 422) },
  },
  'GET /api/v1/invoices/:id/relances/:sequence/preview': {
    operationId: 'previewRelance',
    tags: ['Relances'],
    summary: 'Exactly what this relance would send now, built by the code that sends it',
    security: bearer,
    responses: {
      200: data('The relance as it would leave', 'RelancePreview'),
      ...failures(401, 404),
    },
  },
  'GET /api/v1/relance-templates': {
    operationId: 'listRelanceTemplates',
    tags: ['Relances'],
    summary: 'The user’s own wording of relance steps, per locale',
    security: bearer,
    responses: { 200: list('Saved templates', 'RelanceTemplate'), ...failures(401) },
  },
  'PUT /api/v1/relance-templates/:sequence': {
    operationId: 'saveRelanceTemplate',
    tags: ['Relances'],
    summary: 'Save the subject and body of a step in a locale; placeholders {{clientName}} …',
    security: bearer,
    requestBody: jsonBody(saveRelanceTemplateValidator),
    responses: { 200: data('The saved template', 'RelanceTemplate'), ...failures(401, 404, 422) },
  },
  'DELETE /api/v1/relance-templates/:sequence': {
    operationId: 'deleteRelanceTemplate',
    tags: ['Relances'],
    summary: 'Back to the built-in text of a step in a locale',
    security: bearer,
    parameters: queryOf(deleteRelanceTemplateValidator),
    responses: { ...noContent, ...failures(401, 404, 422) },
  },
  'GET /client/:token': {
    operationId: 'showClientPage',
    tags: ['Client page'],
    security: [],
    summary: 'The client’s page behind a relance email (HTML)',
    description:
      "Outside /api/v1. In the client’s language: the freelancer, every pending invoice of this client with this freelancer (number, amount, due date, days late, its hold), how to pay (instructions, transfer details and an EPC069-12 QR code per EUR invoice when the user has an IBAN), and three forms per invoice. `?done=paid|promise|dispute|settled` confirms a form in words. GET and HEAD change nothing. Headers: `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'`, `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, `X-Robots-Tag: noindex`.",
    parameters: [
      { name: 'done', in: 'query', schema: { enum: ['paid', 'promise', 'dispute', 'settled'] } },
    ],
    responses: { 200: html('The page'), ...clientPageFailures },
  },
  'POST /client/:token/invoices/:id/paid': clientFormOperation(
    'reportPaymentFromClientPage',
    '“Already paid”: holds the relances and asks the freelancer',
    'The invoice is held `payment_reported` for CLIENT_SIGNAL_HOLD_DAYS; within a minute the freelancer gets a `payment_reported` check-in whose links work until the hold ends. `paidOn` may not be in the future.',
    reportPaymentValidator.toJSONSchema() as Schema
  ),
  'POST /client/:token/invoices/:id/promise': clientFormOperation(
    'promisePaymentFromClientPage',
    'A promised payment date (today to 60 days ahead)',
    'Held `payment_promised` until 09:00 (user time) the day after `promisedOn`; the freelancer gets a notice (at most one per invoice a day).',
    promisePaymentValidator.toJSONSchema() as Schema
  ),
  'POST /client/:token/invoices/:id/dispute': clientFormOperation(
    'disputeInvoiceFromClientPage',
    'A dispute or a question (1 to 2,000 characters)',
    'Held `disputed` until the freelancer releases it; the freelancer gets a notice quoting the message, Reply-To the client (at most one per invoice a day).',
    disputeInvoiceValidator.toJSONSchema() as Schema
  ),
  'GET /client/:token/invoices/:id/document': {
    operationId: 'downloadDocumentFromClientPage',
    tags: ['Client page'],
    security: [],
    summary: 'The PDF of one of the page’s invoices, as `<number>.pdf`',
    description:
      'Outside /api/v1, limited as the page. An invoice of another client, or without a PDF: the 404 page. Same private headers as the page.',
    responses: {
      200: pdfDownload('The PDF'),
      ...clientPageFailures,
      503: html('The document store did not answer: the failure page'),
    },
  },
  'GET /api/v1/metrics': {
    operationId: 'getMetrics',
    tags: ['Health'],
    summary: 'Prometheus metrics of this web process',
    description:
      'Request durations by route pattern and status, and Node’s own metrics, as Prometheus text. Needs `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN set, answers 404. The worker serves its own (emails, jobs, queue lag, webhooks) on WORKER_METRICS_PORT.',
    security: [{ metricsToken: [] }],
    responses: {
      200: {
        description: 'Prometheus text format 0.0.4',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      ...failures(401, 404),
    },
  },
  'POST /api/v1/inbound/messages': {
    operationId: 'receiveInboundMessage',
    tags: ['Inbound mail'],
    summary: 'A provider’s inbound webhook: a reply or bounce of a relance email, raw',
    description:
      'The raw message as received (RFC 5322, at most 10 MB), for the address it came to: the `reply+<token>@` or `bounce+<token>@` address at INBOUND_DOMAIN of a relance email. Stored, then processed as the SMTP receiver’s messages are (queue `inbound`, once per message): a reply holds the invoices and reaches the freelancer, an automatic reply is noted, a bounce stops the client’s address. Needs `Authorization: Bearer <INBOUND_WEBHOOK_SECRET>` (compared in constant time); without INBOUND_WEBHOOK_SECRET set, answers 404. Any other recipient is a 422.',
    security: [{ inboundSecret: [] }],
    parameters: queryOf(inboundMessageValidator),
    requestBody: {
      required: true,
      content: {
        'message/rfc822': {
          schema: { type: 'string', contentMediaType: 'message/rfc822', maxLength: 10485760 },
        },
      },
    },
    responses: {
      202: json('Stored; processed shortly', {
        type: 'object',
        properties: {
          data: {
            type: 'object',
            properties: { accepted: { const: true } },
            required: ['accepted'],
            additionalProperties: false,
          },
        },
        required: ['data'],
        additionalProperties: false,
      }),
      ...failures(401, 404, 413, 415, 422),
    },
  },
  'POST /api/v1/webhooks': {
    operationId: 'createWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Subscribe a URL to events; answers its signing secret, once',
    description:
      'In production the URL must be https and resolve to public addresses only (checked again at each delivery). At most 10 endpoints per account.',
    security: bearer,
    requestBody: jsonBody(createWebhookValidator),
    responses: {
      201: data('Created, with its secret', 'WebhookEndpointCreated'),
      ...failures(401, 409, 422),
    },
  },
  'GET /api/v1/webhooks': {
    operationId: 'listWebhookEndpoints',
    tags: ['Webhooks'],
    summary: 'The user’s webhook endpoints (without their secrets)',
    security: bearer,
    responses: { 200: list('Endpoints', 'WebhookEndpoint'), ...failures(401) },
  },
  'DELETE /api/v1/webhooks/:id': {
    operationId: 'deleteWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Delete an endpoint and its deliveries; nothing more is sent to it',
    security: bearer,
    responses: { ...noContent, ...failures(401, 404) },
  },
  'GET /api/v1/webhooks/:id/deliveries': {
    operationId: 'listWebhookDeliveries',
    tags: ['Webhooks'],
    summary: 'An endpoint’s deliveries, newest first, each with its attempts',
    security: bearer,
    parameters: queryOf(listWebhookDeliveriesValidator),
    responses: { 200: page('A page of deliveries', 'WebhookDelivery'), ...failures(401, 404, 422) },
  },
  'GET /api/v1/stats': {
    operationId: 'getStats',
    tags: ['Invoices'],
    summary: 'Receivables per currency: outstanding by days late, DSO, payment behaviour',
    description:
      'Days count in the user’s timezone. Outstanding: pending invoices. DSO: outstanding ÷ invoiced over the last 90 days × 90. Payments: the invoices paid over the last 365 days, the share paid by their due date and their average days late.',
    security: bearer,
    responses: { 200: data('Receivables', 'Receivables'), ...failures(401) },
  },
  'GET /api/v1/activity': {
    operationId: 'listActivity',
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
    description:
      'The token of the email’s link (a check-in, an address verification, or a relance’s client page)',
    schema: { type: 'string' },
  },
  line: {
    name: 'line',
    in: 'path',
    required: true,
    description: 'The row’s `line`, as the draft gives it',
    schema: { type: 'integer', minimum: 1 },
  },
  sequence: {
    name: 'sequence',
    in: 'path',
    required: true,
    description: 'The relance step: 1 for the first relance, 2 for the second …',
    schema: { type: 'integer', minimum: 1 },
  },
}

const appUrl = () => env.get('APP_URL').replace(/\/+$/, '')

function buildDocument(): OpenAPIV3_1.Document {
  const paths: OpenAPIV3_1.PathsObject = {}
  for (const [route, operation] of Object.entries(routeOperations)) {
    const [method, pattern] = route.split(' ')
    const path = openApiPath(pattern)
    const parameters = [...pattern.matchAll(/:(\w+)/g)].map(([, name]) => PATH_PARAMETERS[name])
    paths[path] = {
      ...paths[path],
      // The client's page lives outside the API's prefix, at APP_URL itself
      ...(pattern.startsWith('/api/v1') ? {} : { servers: [{ url: appUrl() }] }),
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
    servers: [{ url: `${appUrl()}/api/v1` }],
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN, for Prometheus',
        },
        inboundSecret: {
          type: 'http',
          scheme: 'bearer',
          description: 'INBOUND_WEBHOOK_SECRET, for a mail provider’s inbound webhook',
        },
      },
    },
    paths,
    webhooks: webhookOperations(),
  }
}

let document: OpenAPIV3_1.Document | undefined

/** Built once per process: it depends on nothing but code and APP_URL. */
export function openApiDocument(): OpenAPIV3_1.Document {
  document ??= buildDocument()
  return document
}
