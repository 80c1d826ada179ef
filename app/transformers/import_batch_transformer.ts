import type { ImportBatchView } from '#services/imports/import_batches'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class ImportBatchTransformer extends BaseTransformer<ImportBatchView> {
  toObject() {
    return this.pick(this.resource, [
      'id',
      'status',
      'filename',
      'totalRows',
      'validRows',
      'invalidRows',
      'rows',
    ])
  }
}
