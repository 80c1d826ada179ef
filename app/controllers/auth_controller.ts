import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import UserTransformer from '#transformers/user_transformer'
import { loginValidator, logoutValidator, registerValidator } from '#validators/user'
import { registerUser, revokeAllAccessTokens } from '#services/accounts/user_accounts'
import { requestVerification } from '#services/accounts/email_verification'
import { limitLoginFailures, rememberSignInAddress } from '#start/limiter'

export default class AuthController {
  async register({ request, response, serialize }: HttpContext) {
    const payload = await request.validateUsing(registerValidator)
    const user = await db.transaction(async (trx) => {
      const registered = await registerUser(payload, trx)
      await requestVerification(registered, trx)
      return registered
    })
    const token = await User.accessTokens.create(user)
    await rememberSignInAddress(user.email, request.ip())
    response.status(201)
    return serialize({ user: UserTransformer.transform(user), token: token.value!.release() })
  }

  async login({ request, serialize }: HttpContext) {
    const { email, password } = await request.validateUsing(loginValidator)
    const user = await limitLoginFailures(email, request.ip(), () =>
      User.verifyCredentials(email, password)
    )
    const token = await User.accessTokens.create(user)
    return serialize({ user: UserTransformer.transform(user), token: token.value!.release() })
  }

  async logout({ auth, request, response }: HttpContext) {
    const { all } = await request.validateUsing(logoutValidator)
    const user = auth.getUserOrFail()
    if (all) await revokeAllAccessTokens(user)
    else await User.accessTokens.delete(user, user.currentAccessToken!.identifier)
    return response.noContent()
  }
}
