import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import ClientTransformer from '#transformers/client_transformer'
import { listClientsValidator, updateClientValidator } from '#validators/client'
import { findClient, listClients, updateClient } from '#services/clients/client_directory'

export default class ClientsController {
  async index({ auth, request, serialize }: HttpContext) {
    const filters = await request.validateUsing(listClientsValidator)
    const page = await listClients(auth.getUserOrFail().id, filters)
    return serialize(ClientTransformer.paginate(page.all(), page.getMeta()))
  }

  async show({ auth, params, serialize }: HttpContext) {
    return serialize(
      ClientTransformer.transform(await findClient(auth.getUserOrFail().id, params.id))
    )
  }

  async update({ auth, params, request, serialize }: HttpContext) {
    const changes = await request.validateUsing(updateClientValidator)
    const userId = auth.getUserOrFail().id
    const client = await db.transaction(async (trx) =>
      updateClient(await findClient(userId, params.id, trx), changes, trx)
    )
    return serialize(ClientTransformer.transform(client))
  }
}
