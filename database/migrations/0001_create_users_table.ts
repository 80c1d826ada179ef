import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('email', 254).notNullable()
      table.string('password').notNullable()
      table.string('full_name', 200).notNullable()
      table.integer('rubis').notNullable().defaultTo(0)
      table.check('?? >= 0', ['rubis'], 'users_rubis_not_negative')
      table.string('timezone', 64).notNullable().defaultTo('Europe/Paris')
      table.string('locale', 2).notNullable().defaultTo('fr').checkIn(['fr', 'en'])
      table.specificType('relance_offsets', 'integer[]').notNullable().defaultTo('{3,10,20}')
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
    })
    this.schema.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
