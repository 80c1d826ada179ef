import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'import_batches'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('draft')
        .checkIn(['draft', 'validated', 'discarded'])
      table.string('filename', 255).nullable()
      table.jsonb('rows').notNullable().defaultTo('[]')
      table.integer('total_rows').notNullable().defaultTo(0)
      table.integer('valid_rows').notNullable().defaultTo(0)
      table.integer('invalid_rows').notNullable().defaultTo(0)
      table.timestamp('validated_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.index(['user_id', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
