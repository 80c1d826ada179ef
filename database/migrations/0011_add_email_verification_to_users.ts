import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table.timestamp('email_verified_at', { useTz: true }).nullable()
      // Only the SHA-256 of the link's token is kept, as for check-ins
      table.specificType('email_verification_token_hash', 'char(64)').nullable().unique()
      table.timestamp('email_verification_sent_at', { useTz: true }).nullable()
    })
    // Accounts that existed before verification was asked for keep sending
    this.defer(async (db) => {
      await db.from(this.tableName).update({ email_verified_at: db.raw('created_at') })
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumns(
        'email_verified_at',
        'email_verification_token_hash',
        'email_verification_sent_at'
      )
    })
  }
}
