import type { HttpContext } from '@adonisjs/core/http'
import { Exception } from '@adonisjs/core/exceptions'
import db from '@adonisjs/lucid/services/db'
import ImportBatchTransformer from '#transformers/import_batch_transformer'
import { createImportBatchValidator, updateImportRowValidator } from '#validators/import_batch'
import { uploadedBytes } from '#middleware/multipart_middleware'
import { assertImportSizeAllowed } from '#services/accounts/quotas'
import {
  discardDraft,
  findImportBatch,
  inImportLine,
  readImport,
  readPdfImport,
  storeDraft,
  updateDraftRow,
  validateDraftInLine,
} from '#services/imports/import_batches'

export default class ImportBatchesController {
  async store({ auth, request, response, serialize }: HttpContext) {
    const input: Record<string, unknown> = { ...request.all(), ...request.allFiles() }
    // One PDF or several: a list either way
    if (input.files !== undefined) input.files = request.files('files')
    const { file, files, rows } = await createImportBatchValidator.validate(input)
    if ([file, files, rows].filter(Boolean).length > 1) {
      throw new Exception('Send one of `file` (a CSV), `files` (PDFs) or `rows`, not several', {
        status: 422,
      })
    }
    const user = auth.getUserOrFail()
    if (rows) assertImportSizeAllowed(user, rows.length)
    const batch = await inImportLine(async () => {
      const source = files
        ? await readPdfImport(
            user.id,
            files.map((pdf) => ({ clientName: pdf.clientName, bytes: uploadedBytes(pdf) }))
          )
        : await readImport({
            rows,
            file: file && { clientName: file.clientName, bytes: uploadedBytes(file) },
          })
      return storeDraft(user, source)
    })
    response.status(201)
    return serialize(ImportBatchTransformer.transform(batch))
  }

  async show({ auth, params, serialize }: HttpContext) {
    const batch = await findImportBatch(auth.getUserOrFail().id, params.id)
    return serialize(ImportBatchTransformer.transform(batch))
  }

  async updateRow({ auth, params, request, serialize }: HttpContext) {
    const { data } = await request.validateUsing(updateImportRowValidator)
    const userId = auth.getUserOrFail().id
    const batch = await db.transaction((trx) =>
      updateDraftRow(userId, params.id, params.line, data, trx)
    )
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
