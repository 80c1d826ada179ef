import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'clients'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.string('name', 200).notNullable()
      table.string('email', 254).notNullable()
      table.date('reminders_paused_until').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
    })
    this.schema.raw(
      'CREATE UNIQUE INDEX clients_user_email_lower_unique ON clients (user_id, lower(email))'
    )
    this.schema.raw('CREATE INDEX clients_user_name_index ON clients (user_id, name, id)')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
