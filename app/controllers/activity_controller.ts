import type { HttpContext } from '@adonisjs/core/http'
import ActivityEvent from '#models/activity_event'
import ActivityEventTransformer from '#transformers/activity_event_transformer'
import { listActivityValidator } from '#validators/activity'

export default class ActivityController {
  async index({ auth, request, serialize }: HttpContext) {
    const { page, perPage } = await request.validateUsing(listActivityValidator)
    const events = await ActivityEvent.query()
      .where('user_id', auth.getUserOrFail().id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .paginate(page ?? 1, perPage ?? 20)
    return serialize(ActivityEventTransformer.paginate(events.all(), events.getMeta()))
  }
}
