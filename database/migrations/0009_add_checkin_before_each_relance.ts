import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The check-in before each later relance: the user's setting, and on a
 * task the sequence of the relance it comes before (null for the check-in
 * at the due date).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('users', (table) => {
      table.boolean('checkin_before_each_relance').notNullable().defaultTo(true)
    })
    this.schema.alterTable('checkin_tasks', (table) => {
      table.smallint('before_relance').nullable()
      table.check(
        'before_relance IS NULL OR before_relance >= 2',
        [],
        'checkin_tasks_before_relance_range'
      )
    })
  }

  async down() {
    this.schema.alterTable('checkin_tasks', (table) => {
      table.dropColumn('before_relance')
    })
    this.schema.alterTable('users', (table) => {
      table.dropColumn('checkin_before_each_relance')
    })
  }
}
