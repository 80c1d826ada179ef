import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A client is thanked at most once per invoice, whatever pay and reopen
 * cycles follow: at most one thank-you waits per invoice, and the insert
 * checks that none was sent or failed before (app/services/invoices/thank_yous.ts).
 */
export default class extends BaseSchema {
  async up() {
    // Only the latest of the thank-yous waiting for one invoice stays waiting
    this.defer(async (db) => {
      await db.rawQuery(
        `UPDATE thank_yous SET status = 'cancelled', updated_at = now()
         WHERE status = 'scheduled' AND id NOT IN (
           SELECT max(id) FROM thank_yous WHERE status = 'scheduled' GROUP BY invoice_id)`
      )
    })
    this.schema.raw(
      `CREATE UNIQUE INDEX thank_yous_one_waiting_per_invoice ON thank_yous (invoice_id)
       WHERE status = 'scheduled'`
    )
  }

  async down() {
    this.schema.raw('DROP INDEX thank_yous_one_waiting_per_invoice')
  }
}
