import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'relances'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('invoice_id')
        .notNullable()
        .references('id')
        .inTable('invoices')
        .onDelete('CASCADE')
      table.smallint('sequence').notNullable()
      table.timestamp('scheduled_at', { useTz: true }).notNullable()
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('scheduled')
        .checkIn(['scheduled', 'sent', 'cancelled', 'failed'])
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.text('failure_reason').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.unique(['invoice_id', 'sequence'])
      table.check('?? >= 1', ['sequence'], 'relances_sequence_positive')
    })
    this.schema.raw(
      "CREATE INDEX relances_scheduled_at_index ON relances (scheduled_at) WHERE status = 'scheduled'"
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
