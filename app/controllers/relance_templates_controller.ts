import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import RelanceTemplateTransformer from '#transformers/relance_template_transformer'
import {
  deleteRelanceTemplateValidator,
  saveRelanceTemplateValidator,
} from '#validators/relance_template'
import {
  deleteRelanceTemplate,
  listRelanceTemplates,
  saveRelanceTemplate,
} from '#services/relances/relance_templates'

export default class RelanceTemplatesController {
  async index({ auth, serialize }: HttpContext) {
    const templates = await listRelanceTemplates(auth.getUserOrFail().id)
    return serialize(RelanceTemplateTransformer.transform(templates))
  }

  async update({ auth, params, request, serialize }: HttpContext) {
    const text = await request.validateUsing(saveRelanceTemplateValidator)
    const userId = auth.getUserOrFail().id
    const template = await db.transaction((trx) =>
      saveRelanceTemplate(userId, params.sequence, text, trx)
    )
    return serialize(RelanceTemplateTransformer.transform(template))
  }

  async destroy({ auth, params, request, response }: HttpContext) {
    // `?locale=`: the query string is part of what the request validates
    const { locale } = await request.validateUsing(deleteRelanceTemplateValidator)
    const userId = auth.getUserOrFail().id
    await db.transaction((trx) => deleteRelanceTemplate(userId, params.sequence, locale, trx))
    return response.noContent()
  }
}
