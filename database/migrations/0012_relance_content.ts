import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What a relance says and to whom: the user's payment instructions and
 * late-payment rate, the client's language and whether it is a business,
 * the user's own wording per step, and the thank-you promised at payment.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('users', (table) => {
      table.text('payment_instructions').nullable()
      table.decimal('late_penalty_rate', 5, 2).nullable()
      table.boolean('thank_clients_on_payment').notNullable().defaultTo(true)
      table.check('late_penalty_rate BETWEEN 0 AND 100', [], 'users_late_penalty_rate_range')
    })

    this.schema.alterTable('clients', (table) => {
      table.string('locale', 2).notNullable().defaultTo('fr').checkIn(['fr', 'en'])
      table.boolean('is_business').notNullable().defaultTo(true)
    })

    this.schema.createTable('relance_templates', (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.smallint('sequence').notNullable()
      table.string('locale', 2).notNullable().checkIn(['fr', 'en'])
      table.text('subject').notNullable()
      table.text('body').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.unique(['user_id', 'sequence', 'locale'])
      table.check('?? >= 1', ['sequence'], 'relance_templates_sequence_positive')
    })

    // One row per payment that promises a thank-you email: the job is rebuilt from it
    this.schema.createTable('thank_yous', (table) => {
      table.increments('id')
      table
        .integer('invoice_id')
        .notNullable()
        .references('id')
        .inTable('invoices')
        .onDelete('CASCADE')
      table.timestamp('paid_at', { useTz: true }).notNullable()
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('scheduled')
        .checkIn(['scheduled', 'sent', 'cancelled', 'failed'])
      table.timestamp('scheduled_at', { useTz: true }).notNullable()
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.text('failure_reason').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      // At most one thank-you per payment
      table.unique(['invoice_id', 'paid_at'])
    })
  }

  async down() {
    this.schema.dropTable('thank_yous')
    this.schema.dropTable('relance_templates')
    this.schema.alterTable('clients', (table) => {
      table.dropColumn('locale')
      table.dropColumn('is_business')
    })
    this.schema.alterTable('users', (table) => {
      table.dropChecks('users_late_penalty_rate_range')
      table.dropColumn('payment_instructions')
      table.dropColumn('late_penalty_rate')
      table.dropColumn('thank_clients_on_payment')
    })
  }
}
