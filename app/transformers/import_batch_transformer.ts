import type ImportBatch from '#models/import_batch'
import { BaseTransformer } from '@adonisjs/core/transformers'

export default class ImportBatchTransformer extends BaseTransformer<ImportBatch> {
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
