import vine from '@vinejs/vine'
import { createInvoiceValidator } from '#validators/invoice'

/**
 * `POST /import-batches`: a CSV file in the multipart field `file`, or JSON
 * `{rows: [...]}`. The rows themselves are checked one by one with
 * `importRowValidator`, so that the draft shows every row's errors.
 */
export const createImportBatchValidator = vine.create({
  file: vine.file().optional().requiredIfMissing('rows'),
  rows: vine.array(vine.object({}).allowUnknownProperties()).optional(),
})

/**
 * One row of an import, checked exactly as `POST /invoices` checks an
 * invoice: a blank (null) currency or issue date is left out, as there.
 */
export const importRowValidator = createInvoiceValidator
