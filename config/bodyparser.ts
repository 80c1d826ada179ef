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
    // All the files of one request. An import file may be 5 MB (checked by the
    // import, which names that limit); the margin lets a larger one reach that check
    limit: '8mb',
    types: ['multipart/form-data'],
  },
})

export default bodyParserConfig
