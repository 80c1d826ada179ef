import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A message's raw bytes are dropped some time after it is processed (or
 * given up on): what processing read stays in `summary`, a reply's quote in
 * its check-in. A message still to process always keeps them.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('ALTER TABLE inbound_messages ALTER COLUMN raw DROP NOT NULL')
    this.schema.raw(
      `ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_raw_until_done
       CHECK (raw IS NOT NULL OR processed_at IS NOT NULL OR failed_at IS NOT NULL)`
    )
    // What the retention pass reads: the messages done whose bytes are still kept
    this.schema.raw(
      `CREATE INDEX inbound_messages_raw_kept ON inbound_messages ((coalesce(processed_at, failed_at)))
       WHERE raw IS NOT NULL AND (processed_at IS NOT NULL OR failed_at IS NOT NULL)`
    )
  }

  async down() {
    this.schema.raw('DROP INDEX inbound_messages_raw_kept')
    this.schema.raw('ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_raw_until_done')
    // The bytes dropped are gone: an empty message stands for them
    this.schema.raw("UPDATE inbound_messages SET raw = ''::bytea WHERE raw IS NULL")
    this.schema.raw('ALTER TABLE inbound_messages ALTER COLUMN raw SET NOT NULL')
  }
}
