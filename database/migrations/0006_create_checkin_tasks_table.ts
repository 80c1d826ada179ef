import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'checkin_tasks'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('invoice_id')
        .notNullable()
        .references('id')
        .inTable('invoices')
        .onDelete('CASCADE')
        .index()
      table.specificType('token_hash', 'char(64)').notNullable().unique()
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('scheduled')
        .checkIn(['scheduled', 'sent', 'answered', 'cancelled'])
      table.string('answer', 16).nullable().checkIn(['paid', 'still_pending'])
      table.timestamp('scheduled_at', { useTz: true }).notNullable()
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.timestamp('answered_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.check(
        "(status = 'answered') = (answer IS NOT NULL AND answered_at IS NOT NULL)",
        [],
        'checkin_tasks_answer_consistency'
      )
    })
    // An invoice has at most one check-in waiting to be sent
    this.schema.raw(
      "CREATE UNIQUE INDEX checkin_tasks_one_scheduled_per_invoice ON checkin_tasks (invoice_id) WHERE status = 'scheduled'"
    )
    this.schema.raw(
      "CREATE INDEX checkin_tasks_scheduled_at_index ON checkin_tasks (scheduled_at) WHERE status = 'scheduled'"
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
