import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'invoices'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table
        .integer('client_id')
        .notNullable()
        .references('id')
        .inTable('clients')
        .onDelete('RESTRICT')
        .index()
      table
        .integer('import_batch_id')
        .nullable()
        .references('id')
        .inTable('import_batches')
        .onDelete('SET NULL')
        .index()
      table.string('number', 100).notNullable()
      table.bigInteger('amount_cents').notNullable()
      table.string('currency', 3).notNullable().defaultTo('EUR')
      table.date('issued_at').nullable()
      table.date('due_date').notNullable()
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('pending')
        .checkIn(['pending', 'paid', 'cancelled'])
      table.timestamp('paid_at', { useTz: true }).nullable()
      table.string('paid_via', 16).nullable().checkIn(['manual', 'checkin'])
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()

      table.unique(['user_id', 'number'])
      table.check('?? > 0', ['amount_cents'], 'invoices_amount_positive')
      table.check("?? ~ '^[A-Z]{3}$'", ['currency'], 'invoices_currency_iso')
      // paid_at and paid_via are set exactly when the invoice is paid
      table.check(
        "(status = 'paid') = (paid_at IS NOT NULL AND paid_via IS NOT NULL)",
        [],
        'invoices_paid_consistency'
      )
      table.index(['user_id', 'due_date', 'id'])
      table.index(['user_id', 'status', 'due_date', 'id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
