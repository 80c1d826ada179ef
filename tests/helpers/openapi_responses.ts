import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { ApiResponse } from '@japa/api-client'
import { DateTime } from 'luxon'
import router from '@adonisjs/core/services/router'
import { openApiDocument, openApiPath } from '#openapi/document'

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)
// Timestamps are luxon's ISO 8601: past year 9999 (a relance of an invoice due
// 9999-12-31) it writes the expanded year form, +010000-01-03T…, not RFC 3339
ajv.addFormat('date-time', (value: string) => DateTime.fromISO(value, { setZone: true }).isValid)
const validators = new Map<string, ValidateFunction>()

/**
 * The JSON Schema the document gives for `status` of METHOD path, compiled
 * with the document's components beside it so that its $refs resolve.
 */
function validatorFor(method: string, path: string, status: number) {
  const key = `${method} ${path} ${status}`
  let validate = validators.get(key)
  if (!validate) {
    const document = openApiDocument()
    const operation = (document.paths?.[path] as Record<string, any> | undefined)?.[
      method.toLowerCase()
    ]
    if (!operation) throw new Error(`${method} ${path} is not in the OpenAPI document`)
    const response = operation.responses[status] ?? operation.responses.default
    if (!response)
      throw new Error(`${method} ${path} answered ${status}, a status it does not list`)
    const schema = response.content?.['application/json']?.schema
    if (!schema) throw new Error(`${method} ${path} ${status} has no JSON body in the document`)
    validate = ajv.compile({ ...schema, components: document.components })
    validators.set(key, validate)
  }
  return validate
}

/**
 * Checks a response of the functional tests against the OpenAPI document:
 * every JSON body of a route must match the schema of its status (or the
 * default error shape). Registered for every request in tests/bootstrap.ts.
 */
export function assertResponseMatchesOpenApi(response: ApiResponse) {
  const { method, endpoint } = response.request.config
  const url = new URL(endpoint, 'http://api.test')
  const matched = router.match(url.pathname, method, false)
  const contentType = String(response.header('content-type') ?? '')
  if (!matched || !contentType.startsWith('application/json')) return
  const path = openApiPath(matched.route.pattern)
  const validate = validatorFor(method, path, response.status())
  if (!validate(response.body())) {
    throw new Error(
      `${method} ${url.pathname} → ${response.status()} does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}`
    )
  }
}
