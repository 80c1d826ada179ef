import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import { Timestamps } from '#models/mixins/timestamps'

export type ImportBatchStatus = 'draft' | 'validated' | 'discarded'

export type ImportRow = {
  line: number
  data: Record<string, unknown>
  errors: { field: string; message: string }[]
  /** The PDF the row was read from (a Factur-X import): it becomes the invoice's document. */
  document?: { filename: string; sizeBytes: number }
}

export default class ImportBatch extends compose(BaseModel, Timestamps) {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare status: ImportBatchStatus

  @column()
  declare filename: string | null

  @column({ prepare: (rows: ImportRow[]) => JSON.stringify(rows) })
  declare rows: ImportRow[]

  @column()
  declare totalRows: number

  @column()
  declare validRows: number

  @column()
  declare invalidRows: number

  @column.dateTime()
  declare validatedAt: DateTime | null
}
