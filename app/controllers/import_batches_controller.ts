import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import ImportBatchTransformer from '#transformers/import_batch_transformer'
import { createImportBatchValidator } from '#validators/import_batch'
import { uploadedBytes } from '#middleware/multipart_middleware'
import { assertImportSizeAllowed } from '#services/accounts/quotas'
import {
  createDraft,
  inImportLine,
  discardDraft,
  findImportBatch,
  readImport,
  validateDraftInLine,
} from '#services/imports/import_batches'

export default class ImportBatchesController {
  async store({ auth, request, response, serialize }: HttpContext) {
    const { file, rows } = await request.validateUsing(createImportBatchValidator)
    const user = auth.getUserOrFail()
    if (rows) assertImportSizeAllowed(user, rows.length)
    const batch = await inImportLine(async () => {
      const source = await readImport({
        rows,
        file: file && { clientName: file.clientName, bytes: uploadedBytes(file) },
      })
      return db.transaction((trx) => createDraft(user, source, trx))
    })
    response.status(201)
    return serialize(ImportBatchTransformer.transform(batch))
  }

  async show({ auth, params, serialize }: HttpContext) {
    const batch = await findImportBatch(auth.getUserOrFail().id, params.id)
    return serialize(ImportBatchTransformer.transform(batch))
  }

  async validateDraft({ auth, params, serialize }: HttpContext) {
    const user = auth.getUserOrFail()
    const batch = await validateDraftInLine(user, params.id)
    return serialize(ImportBatchTransformer.transform(batch))
  }

  async destroy({ auth, params, response }: HttpContext) {
    const userId = auth.getUserOrFail().id
    await db.transaction((trx) => discardDraft(userId, params.id, trx))
    return response.noContent()
  }
}
