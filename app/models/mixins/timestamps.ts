import { DateTime } from 'luxon'
import { column } from '@adonisjs/lucid/orm'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'

/** `created_at` and `updated_at`, which Lucid sets on insert and on every update. */
export function Timestamps<Model extends NormalizeConstructor<typeof BaseModel>>(
  superclass: Model
) {
  class WithTimestamps extends superclass {
    @column.dateTime({ autoCreate: true })
    declare createdAt: DateTime

    @column.dateTime({ autoCreate: true, autoUpdate: true })
    declare updatedAt: DateTime
  }
  return WithTimestamps
}
