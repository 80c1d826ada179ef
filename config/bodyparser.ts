import { defineConfig } from '@adonisjs/core/bodyparser'

/**
 * The content types read as JSON: as text here, then parsed and bounded by
 * app/middleware/json_body_middleware.ts. Defined here, not there: every
 * process loads its config, and the middleware needs the import parser.
 */
export const JSON_BODY_TYPES = [
  'application/json',
  'application/json-patch+json',
  'application/vnd.api+json',
]

const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: ['application/x-www-form-urlencoded'],
  },
  // JSON is read as text here, then parsed and bounded by
  // app/middleware/json_body_middleware.ts: the body parser's JSON parser
  // walks every value with a reviver and deep-copies the result, recursively
  json: {
    types: [],
  },
  raw: {
    limit: '2mb',
    types: JSON_BODY_TYPES,
  },
  multipart: {
    // Read by app/middleware/multipart_middleware.ts instead, files in memory:
    // the automatic processing leaves every uploaded file in the temp directory
    autoProcess: false,
    convertEmptyStringsToNull: true,
    processManually: [],
    // All the files of one request; any one file is at most 5 MB, and the PDFs
    // of an import may hold 50 MB together (app/middleware/multipart_middleware.ts)
    limit: '8mb',
    types: ['multipart/form-data'],
  },
})

export default bodyParserConfig
