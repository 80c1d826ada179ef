import vine from '@vinejs/vine'
import { createInvoiceValidator } from '#validators/invoice'

/**
 * Each row must be a JSON object. Checked over the whole list at once, and
 * reported once: ten thousand rows of `0` make one message, not ten
 * thousand.
 */
const objectItemsRule = vine.createRule((value, _options, field) => {
  if (!Array.isArray(value)) return
  const index = value.findIndex((item) => !vine.helpers.isObject(item))
  if (index !== -1) {
    field.report(
      `The {{ field }} field must hold objects, one per invoice: item ${index} is not one`,
      'objectItems',
      field
    )
  }
})

/**
 * `POST /import-batches`: a CSV file in the multipart field `file`, or JSON
 * `{rows: [...]}`. The rows themselves are checked one by one with
 * `importRowValidator`, so that the draft shows every row's errors. The
 * list was bounded (10,000 items) before: app/middleware/json_body_middleware.ts.
 */
export const createImportBatchValidator = vine.create({
  file: vine.file().optional().requiredIfMissing('rows'),
  // A rule on the list runs before its items are looked at, and stops there when it fails
  rows: vine.array(vine.any()).use(objectItemsRule()).optional(),
})

/**
 * One row of an import, checked exactly as `POST /invoices` checks an
 * invoice: a blank (null) currency or issue date is left out, as there.
 */
export const importRowValidator = createInvoiceValidator
