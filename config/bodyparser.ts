import { defineConfig } from '@adonisjs/core/bodyparser'

const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: ['application/x-www-form-urlencoded'],
  },
  json: {
    convertEmptyStringsToNull: true,
    limit: '2mb',
    types: ['application/json', 'application/json-patch+json', 'application/vnd.api+json'],
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
