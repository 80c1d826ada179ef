import vine from '@vinejs/vine'
import { createInvoiceValidator } from '#validators/invoice'
import { MAX_UPLOAD_FILES } from '#middleware/multipart_middleware'
import { IMPORT_FIELDS } from '#services/imports/import_parser'

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
 * `POST /import-batches`: a CSV file in the multipart field `file`, PDFs
 * (Factur-X / ZUGFeRD) in `files`, or JSON `{rows: [...]}`. The rows themselves are checked one by one with
 * `importRowValidator`, so that the draft shows every row's errors. The
 * list was bounded (10,000 items) before: app/middleware/json_body_middleware.ts.
 */
export const createImportBatchValidator = vine.create({
  file: vine.file().optional().requiredIfMissing(['rows', 'files']),
  files: vine.array(vine.file()).minLength(1).maxLength(MAX_UPLOAD_FILES).optional(),
  // A rule on the list runs before its items are looked at, and stops there when it fails
  rows: vine.array(vine.any()).use(objectItemsRule()).optional(),
})

/**
 * One row of an import, checked exactly as `POST /invoices` checks an
 * invoice: a blank (null) currency or issue date is left out, as there.
 */
export const importRowValidator = createInvoiceValidator

/**
 * `PATCH /import-batches/:id/rows/:line {data}`: new values for some of the
 * row's fields (null clears one); the row is then checked again whole, by
 * `importRowValidator`, its errors kept in the draft.
 */
const rowValue = () => vine.any().nullable().optional()
const ROW_FIELDS = new Set<string>(IMPORT_FIELDS)
/** Some of the row's fields, and nothing else. */
const rowFields = vine.createRule((value, _options, field) => {
  if (!value || typeof value !== 'object') return
  const keys = Object.keys(value)
  if (keys.length === 0 || keys.some((key) => !ROW_FIELDS.has(key))) {
    field.report(
      `The {{ field }} field must give some of the row's fields (${IMPORT_FIELDS.join(', ')}) and nothing else`,
      'rowFields',
      field
    )
  }
})
export const updateImportRowValidator = vine.create({
  data: vine
    .object({
      number: rowValue(),
      clientName: rowValue(),
      clientEmail: rowValue(),
      amountCents: rowValue(),
      currency: rowValue(),
      issuedAt: rowValue(),
      dueDate: rowValue(),
    })
    .use(rowFields()),
})
