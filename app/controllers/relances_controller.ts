import type { HttpContext } from '@adonisjs/core/http'
import RelanceTransformer from '#transformers/relance_transformer'
import RelancePreviewTransformer from '#transformers/relance_preview_transformer'
import { listRelancesValidator } from '#validators/relance'
import { listRelances } from '#services/relances/relance_queries'
import { previewRelance } from '#services/relances/relance_composer'

export default class RelancesController {
  async index({ auth, request, serialize }: HttpContext) {
    const filters = await request.validateUsing(listRelancesValidator)
    const page = await listRelances(auth.getUserOrFail().id, filters)
    return serialize(
      RelanceTransformer.paginate(page.all(), page.getMeta()).useVariant('forListing')
    )
  }

  async preview({ auth, params, serialize }: HttpContext) {
    const preview = await previewRelance(auth.getUserOrFail().id, params.id, params.sequence)
    return serialize(RelancePreviewTransformer.transform(preview))
  }
}
