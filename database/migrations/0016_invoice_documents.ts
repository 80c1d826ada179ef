import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Invoice documents: the PDF of an invoice, stored through Drive under a
 * key the app makes (never from user input), and the PDFs of a Factur-X
 * import kept with its draft until the draft is validated or discarded.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('invoices', (table) => {
      // The Drive key: documents/<user id>/<uuid>.pdf
      table.string('document_path', 200).nullable()
      // The name it was uploaded with, shown to the freelancer
      table.string('document_filename', 255).nullable()
      table.integer('document_size_bytes').nullable()
      table.timestamp('document_uploaded_at', { useTz: true }).nullable()
      table.check(
        '(document_path IS NULL) = (document_filename IS NULL) AND (document_path IS NULL) = (document_size_bytes IS NULL) AND (document_path IS NULL) = (document_uploaded_at IS NULL)',
        [],
        'invoices_document_consistency'
      )
      table.check('document_size_bytes > 0', [], 'invoices_document_size_positive')
    })

    this.schema.createTable('import_batch_documents', (table) => {
      table.increments('id')
      table
        .integer('import_batch_id')
        .notNullable()
        .references('id')
        .inTable('import_batches')
        .onDelete('CASCADE')
      // The row of the draft this PDF gave
      table.integer('line').notNullable()
      table.string('path', 200).notNullable().unique()
      table.string('filename', 255).notNullable()
      table.integer('size_bytes').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.unique(['import_batch_id', 'line'])
      table.check('size_bytes > 0', [], 'import_batch_documents_size_positive')
    })
  }

  async down() {
    this.schema.dropTable('import_batch_documents')
    this.schema.alterTable('invoices', (table) => {
      table.dropChecks(['invoices_document_consistency', 'invoices_document_size_positive'])
      table.dropColumns(
        'document_path',
        'document_filename',
        'document_size_bytes',
        'document_uploaded_at'
      )
    })
  }
}
