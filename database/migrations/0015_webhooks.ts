import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Webhooks: each user's endpoints, and the outbox of their deliveries. A
 * delivery row is written in the transaction of the change it reports and
 * is the promise of its job in queue `webhooks`, rebuilt from here.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('webhook_endpoints', (table) => {
      table.increments('id')
      table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.text('url').notNullable()
      table.specificType('events', 'text[]').notNullable()
      // The signing secret (whsec_…), encrypted with APP_KEY
      table.text('secret').notNullable()
      // Since when every attempt has failed (null after a success)
      table.timestamp('failing_since', { useTz: true }).nullable()
      table.timestamp('disabled_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.index(['user_id'])
      table.check('char_length(url) <= 2048', [], 'webhook_endpoints_url_length')
      table.check('cardinality(events) > 0', [], 'webhook_endpoints_events_present')
    })

    this.schema.createTable('webhook_deliveries', (table) => {
      table.increments('id')
      table
        .integer('endpoint_id')
        .notNullable()
        .references('id')
        .inTable('webhook_endpoints')
        .onDelete('CASCADE')
      table.string('event_type', 40).notNullable()
      // The webhook-id header: one per event, the same on every attempt
      table.string('message_id', 40).notNullable()
      // The body as sent, its text kept as written
      table.json('payload').notNullable()
      table
        .string('status', 16)
        .notNullable()
        .defaultTo('scheduled')
        .checkIn(['scheduled', 'delivered', 'failed'])
      table.smallint('attempts').notNullable().defaultTo(0)
      // The next attempt, while scheduled
      table.timestamp('scheduled_at', { useTz: true }).notNullable()
      // An attempt in flight owns the row until then
      table.timestamp('leased_until', { useTz: true }).nullable()
      table.smallint('last_status_code').nullable()
      table.text('last_error').nullable()
      // One entry per attempt: {at, statusCode, error, durationMs, response}
      table.jsonb('attempt_log').notNullable().defaultTo('[]')
      table.timestamp('delivered_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.index(['endpoint_id', 'id'])
      table.unique(['endpoint_id', 'message_id'])
    })
    this.schema.raw(
      "CREATE INDEX webhook_deliveries_scheduled ON webhook_deliveries (id) WHERE status = 'scheduled'"
    )
  }

  async down() {
    this.schema.dropTable('webhook_deliveries')
    this.schema.dropTable('webhook_endpoints')
  }
}
