import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import UserTransformer from '#transformers/user_transformer'
import { updateProfileValidator } from '#validators/user'
import { updateProfile } from '#services/accounts/user_accounts'

export default class ProfileController {
  async show({ auth, serialize }: HttpContext) {
    return serialize(UserTransformer.transform(auth.getUserOrFail()))
  }

  async update({ auth, request, serialize }: HttpContext) {
    const changes = await request.validateUsing(updateProfileValidator)
    const user = await db.transaction((trx) => updateProfile(auth.getUserOrFail(), changes, trx))
    return serialize(UserTransformer.transform(user))
  }
}
