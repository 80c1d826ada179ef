import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'activity_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table
        .integer('invoice_id')
        .nullable()
        .references('id')
        .inTable('invoices')
        .onDelete('SET NULL')
        .index()
      table.string('type', 40).notNullable()
      table.string('label', 500).notNullable()
      table.jsonb('metadata').notNullable().defaultTo('{}')
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.index(['user_id', 'created_at', 'id'])
    })
    // The database itself refuses a second payment event for one invoice
    this.schema.raw(
      "CREATE UNIQUE INDEX activity_events_one_payment_per_invoice ON activity_events (invoice_id) WHERE type = 'invoice_paid'"
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
