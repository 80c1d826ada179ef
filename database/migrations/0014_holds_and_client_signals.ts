import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The client is heard: holds on invoices (relances that wait), client
 * signals as check-ins, the client's bounced address, the freelancer's bank
 * details, one row per relance email sent (the client's page link), and the
 * notices a client's promise or dispute sends the freelancer.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('invoices', (table) => {
      table
        .string('hold_reason', 20)
        .nullable()
        .checkIn(['manual', 'payment_reported', 'payment_promised', 'disputed', 'client_replied'])
      // Null while held: until lifted
      table.timestamp('hold_until', { useTz: true }).nullable()
      table.timestamp('held_at', { useTz: true }).nullable()
      table.text('hold_note').nullable()
      table.check(
        '(hold_reason IS NULL) = (held_at IS NULL) AND (hold_reason IS NOT NULL OR (hold_until IS NULL AND hold_note IS NULL))',
        [],
        'invoices_hold_consistency'
      )
      table.check('char_length(hold_note) <= 2000', [], 'invoices_hold_note_length')
    })

    this.schema.alterTable('clients', (table) => {
      table.string('email_status', 16).notNullable().defaultTo('ok').checkIn(['ok', 'bounced'])
      table.timestamp('email_bounced_at', { useTz: true }).nullable()
    })

    this.schema.alterTable('users', (table) => {
      // Stored without spaces; the EPC QR code allows 70 characters of holder name
      table.string('iban', 34).nullable()
      table.string('bic', 11).nullable()
      table.string('account_holder', 70).nullable()
      table.check("iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'", [], 'users_iban_shape')
      table.check("bic ~ '^([A-Z0-9]{8}|[A-Z0-9]{11})$'", [], 'users_bic_shape')
    })

    this.schema.alterTable('checkin_tasks', (table) => {
      table
        .string('reason', 20)
        .notNullable()
        .defaultTo('due')
        .checkIn(['due', 'before_relance', 'payment_reported', 'client_replied'])
      // What the client said, for the check-ins a client's signal creates
      table.jsonb('signal').nullable()
      // The links of a signal's check-in work until its hold ends; the others 24 h after sending
      table.timestamp('expires_at', { useTz: true }).nullable()
    })
    this.defer(async (db) => {
      await db
        .from('checkin_tasks')
        .whereNotNull('before_relance')
        .update({ reason: 'before_relance' })
    })
    this.schema.raw(
      `ALTER TABLE checkin_tasks ADD CONSTRAINT checkin_tasks_reason_consistency
       CHECK ((reason = 'before_relance') = (before_relance IS NOT NULL))`
    )

    this.schema.createTable('relance_emails', (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table
        .integer('client_id')
        .notNullable()
        .references('id')
        .inTable('clients')
        .onDelete('CASCADE')
        .index()
      // The client's page link: only the SHA-256 of its token
      table.specificType('link_token_hash', 'char(64)').notNullable().unique()
      // Replies and bounces come back with this token (inbound mail)
      table.specificType('reply_token_hash', 'char(64)').nullable().unique()
      table.string('message_id', 255).nullable()
      table.timestamp('sent_at', { useTz: true }).notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
    })

    this.schema.alterTable('relances', (table) => {
      table
        .integer('email_id')
        .nullable()
        .references('id')
        .inTable('relance_emails')
        .onDelete('SET NULL')
        .index()
    })

    // The freelancer's notice of a client's promise or dispute: at most one
    // per invoice, action and day (the user's calendar day)
    this.schema.createTable('client_notices', (table) => {
      table.increments('id')
      table
        .integer('invoice_id')
        .notNullable()
        .references('id')
        .inTable('invoices')
        .onDelete('CASCADE')
      table.string('kind', 16).notNullable().checkIn(['promise', 'dispute'])
      table.date('day').notNullable()
      table.jsonb('details').notNullable().defaultTo('{}')
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
      table.unique(['invoice_id', 'kind', 'day'])
    })
  }

  async down() {
    this.schema.dropTable('client_notices')
    this.schema.alterTable('relances', (table) => {
      table.dropColumn('email_id')
    })
    this.schema.dropTable('relance_emails')
    this.schema.alterTable('checkin_tasks', (table) => {
      table.dropChecks(['checkin_tasks_reason_consistency'])
      table.dropColumns('reason', 'signal', 'expires_at')
    })
    this.schema.alterTable('users', (table) => {
      table.dropChecks(['users_iban_shape', 'users_bic_shape'])
      table.dropColumns('iban', 'bic', 'account_holder')
    })
    this.schema.alterTable('clients', (table) => {
      table.dropColumns('email_status', 'email_bounced_at')
    })
    this.schema.alterTable('invoices', (table) => {
      table.dropChecks(['invoices_hold_consistency', 'invoices_hold_note_length'])
      table.dropColumns('hold_reason', 'hold_until', 'held_at', 'hold_note')
    })
  }
}
