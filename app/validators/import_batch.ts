import vine from '@vinejs/vine'
import {
  amountCents,
  calendarDate,
  currency,
  email,
  invoiceNumber,
  personName,
} from '#validators/rules'

/**
 * `POST /import-batches`: a CSV file in the multipart field `file`, or JSON
 * `{rows: [...]}`. The rows themselves are checked one by one with
 * `importRowValidator`, so that the draft shows every row's errors.
 */
export const createImportBatchValidator = vine.create({
  file: vine.file().optional().requiredIfMissing('rows'),
  rows: vine.array(vine.object({}).allowUnknownProperties()).optional(),
})

/** One row of an import, as `POST /invoices` takes an invoice. */
export const importRowValidator = vine.create({
  number: invoiceNumber(),
  clientName: personName(),
  clientEmail: email(),
  amountCents: amountCents(),
  currency: currency().nullable().optional(),
  issuedAt: calendarDate().nullable().optional(),
  dueDate: calendarDate(),
})
