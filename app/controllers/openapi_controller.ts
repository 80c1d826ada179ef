import type { HttpContext } from '@adonisjs/core/http'
import { openApiDocument } from '#openapi/document'

/** The API's OpenAPI 3.1 document, for the SPA team and its code generators. */
export default class OpenapiController {
  async show({ response }: HttpContext) {
    return response.header('Cache-Control', 'no-cache').json(openApiDocument())
  }
}
