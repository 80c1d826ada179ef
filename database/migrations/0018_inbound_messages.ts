import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Replies and bounces come back: every message the receiver (or the
 * provider's webhook) accepts is a row, stored before the sender hears
 * `250`, the promise of its job in queue `inbound` until it is processed.
 * The freelancer hears of a reply to settled invoices, or of a bounce,
 * through a client notice.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('inbound_messages', (table) => {
      table.increments('id')
      table.timestamp('received_at', { useTz: true }).notNullable()
      table.string('source', 8).notNullable().checkIn(['smtp', 'webhook'])
      // The address it came to (reply+<token>@ or bounce+<token>@), lowercased
      table.string('recipient', 320).notNullable()
      // The SMTP envelope sender ('' for a bounce's null sender); null through the webhook
      table.string('envelope_from', 320).nullable()
      table
        .integer('relance_email_id')
        .nullable()
        .references('id')
        .inTable('relance_emails')
        .onDelete('SET NULL')
        .index()
      // The message as received, byte for byte
      table.binary('raw').notNullable()
      table.string('kind', 16).nullable().checkIn(['reply', 'auto_reply', 'bounce', 'unknown'])
      // What processing read in it and did: sender, subject, the reply's text, the bounce's status…
      table.jsonb('summary').nullable()
      table.timestamp('processed_at', { useTz: true }).nullable()
      // Processing gave up (after its retries); the reconciler leaves the row alone
      table.timestamp('failed_at', { useTz: true }).nullable()
      table.text('failure_reason').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.check('octet_length(raw) <= 10485760', [], 'inbound_messages_raw_size')
      table.check(
        '(kind IS NULL) = (processed_at IS NULL)',
        [],
        'inbound_messages_kind_when_processed'
      )
    })
    // What the reconciler and queue:status read: the messages still to process
    this.schema.raw(
      `CREATE INDEX inbound_messages_unprocessed ON inbound_messages (id)
       WHERE processed_at IS NULL AND failed_at IS NULL`
    )

    this.schema.raw('ALTER TABLE client_notices DROP CONSTRAINT client_notices_kind_check')
    this.schema.raw(
      `ALTER TABLE client_notices ADD CONSTRAINT client_notices_kind_check
       CHECK (kind IN ('promise', 'dispute', 'reply', 'bounce'))`
    )
  }

  async down() {
    this.schema.raw("DELETE FROM client_notices WHERE kind IN ('reply', 'bounce')")
    this.schema.raw('ALTER TABLE client_notices DROP CONSTRAINT client_notices_kind_check')
    this.schema.raw(
      `ALTER TABLE client_notices ADD CONSTRAINT client_notices_kind_check
       CHECK (kind IN ('promise', 'dispute'))`
    )
    this.schema.dropTable('inbound_messages')
  }
}
