import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A reopened invoice can be paid again: one `invoice_paid` event per
 * payment, numbered in its metadata, instead of one per invoice. The
 * payment runs under the invoice's row lock, and the unique index refuses
 * a second event for the same payment number whatever happens.
 */
export default class extends BaseSchema {
  async up() {
    // Until now an invoice had at most one payment: it was the first
    this.schema.raw(
      `UPDATE activity_events SET metadata = metadata || '{"paymentNumber": 1}'::jsonb
       WHERE type = 'invoice_paid'`
    )
    this.schema.raw('DROP INDEX activity_events_one_payment_per_invoice')
    this.schema.raw(
      `CREATE UNIQUE INDEX activity_events_one_event_per_payment
       ON activity_events (invoice_id, ((metadata->>'paymentNumber')::int))
       WHERE type = 'invoice_paid'`
    )
    this.schema.raw(
      `ALTER TABLE activity_events ADD CONSTRAINT activity_events_payment_numbered
       CHECK (type <> 'invoice_paid' OR jsonb_typeof(metadata->'paymentNumber') = 'number')`
    )
  }

  async down() {
    this.schema.raw('ALTER TABLE activity_events DROP CONSTRAINT activity_events_payment_numbered')
    this.schema.raw('DROP INDEX activity_events_one_event_per_payment')
    this.schema.raw(
      "CREATE UNIQUE INDEX activity_events_one_payment_per_invoice ON activity_events (invoice_id) WHERE type = 'invoice_paid'"
    )
  }
}
