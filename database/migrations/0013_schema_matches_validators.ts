import { BaseSchema } from '@adonisjs/lucid/schema'
import { DATE_YEARS_AHEAD } from '#validators/rules'

/**
 * The limits of the validators in the database too, so that a write that
 * bypasses them (a script, a future code path) cannot store what the API
 * refuses: an invoice number is 1 to 50 characters without control
 * characters, and a client's pause ends at most 5 years after the row was
 * written. The pause's bound reads the row's own updated_at, which the app
 * writes with its clock: a CHECK may not read the time itself.
 */
export default class extends BaseSchema {
  async up() {
    this.defer(async (db) => {
      const {
        rows: [{ count }],
      } = await db.rawQuery(
        'SELECT count(*)::int AS count FROM invoices WHERE char_length(number) > 50'
      )
      if (count > 0) {
        throw new Error(
          `${count} invoice(s) have a number over 50 characters, which the API refuses: ` +
            'shorten them, then run the migration again'
        )
      }
    })
    this.schema.raw('ALTER TABLE invoices ALTER COLUMN number TYPE varchar(50)')
    this.schema.raw(
      `ALTER TABLE invoices ADD CONSTRAINT invoices_number_printable
       CHECK (number <> '' AND number !~ '[\\u0001-\\u001f\\u007f-\\u009f\\u2028\\u2029]')`
    )

    // A pause past the bound (never refused until now) ends at the bound
    const latestPauseEnd = `((updated_at AT TIME ZONE 'UTC') + interval '${DATE_YEARS_AHEAD} years')::date`
    this.schema.raw(
      `UPDATE clients SET reminders_paused_until = ${latestPauseEnd}
       WHERE reminders_paused_until > ${latestPauseEnd}`
    )
    this.schema.raw(
      `ALTER TABLE clients ADD CONSTRAINT clients_pause_within_bound
       CHECK (reminders_paused_until <= ${latestPauseEnd})`
    )
  }

  async down() {
    this.schema.raw('ALTER TABLE clients DROP CONSTRAINT clients_pause_within_bound')
    this.schema.raw('ALTER TABLE invoices DROP CONSTRAINT invoices_number_printable')
    this.schema.raw('ALTER TABLE invoices ALTER COLUMN number TYPE varchar(100)')
  }
}
