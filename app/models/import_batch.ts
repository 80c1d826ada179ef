import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'

export type ImportBatchStatus = 'draft' | 'validated' | 'discarded'

export type ImportRow = {
  line: number
  data: Record<string, unknown>
  errors: { field: string; message: string }[]
}

export default class ImportBatch extends BaseModel {
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

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime
}
