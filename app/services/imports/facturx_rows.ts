import { DateTime } from 'luxon'
import type { FacturXResult } from '#services/imports/facturx_reader'
import {
  nameOnOneLine,
  quoted,
  type ParsedRow,
  type RowError,
} from '#services/imports/import_parser'

/**
 * A PDF's Factur-X data as a row of an import, mapped as DESIGN.md says:
 * number (ExchangedDocument/ID), client name (BuyerTradeParty/Name), client
 * email (the buyer's URIUniversalCommunication), amount (DuePayableAmount,
 * else GrandTotalAmount), currency, issuedAt (IssueDateTime), dueDate (the
 * payment terms' DueDateDateTime). What is missing or unreadable is a row
 * error on its field, for the user to complete.
 */

export const NO_FACTURX_MESSAGE = 'no Factur-X data in this PDF'

/** UN/CEFACT document type codes that are no invoice to chase. */
const NOT_INVOICES: Record<string, string> = {
  '381': 'a credit note',
  '261': 'a self-billed credit note',
  '396': 'a factored credit note',
}

/** A CII amount ("104.90", "-5", "12.345") in cents, rounded to the cent; undefined otherwise. */
export function ciiAmountCents(value: string): number | undefined {
  const match = /^([+-]?)(\d{1,15})(?:\.(\d{1,6}))?$/.exec(value.trim())
  if (!match) return undefined
  const [, sign, units, decimals = ''] = match
  const thousandths = Number(units) * 1000 + Number(decimals.padEnd(3, '0').slice(0, 3))
  const cents = Math.round(thousandths / 10)
  return sign === '-' ? -cents : cents
}

/** A CII date (format 102: YYYYMMDD) as YYYY-MM-DD; undefined when it is none. */
export function ciiDate(value: string, format: string | null): string | undefined {
  if (format !== null && format !== '102') return undefined
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim())
  if (!match) return undefined
  const iso = `${match[1]}-${match[2]}-${match[3]}`
  return DateTime.fromISO(iso, { zone: 'utc' }).isValid ? iso : undefined
}

/**
 * The row a PDF gives. `clientEmail` is left out when the XML has none:
 * the caller looks for the user's client of that name, then says so.
 */
export function facturXRow(line: number, result: FacturXResult): ParsedRow {
  if (result.kind !== 'invoice') {
    return { line, input: {}, errors: [{ field: 'file', message: NO_FACTURX_MESSAGE }] }
  }
  const { fields } = result
  const input: ParsedRow['input'] = {}
  const errors: RowError[] = []
  if (fields.number) input.number = fields.number
  const notInvoice = fields.typeCode ? NOT_INVOICES[fields.typeCode] : undefined
  if (notInvoice) {
    errors.push({
      field: 'number',
      message: `This PDF is ${notInvoice} (type ${fields.typeCode}), not an invoice to chase`,
    })
  }
  if (fields.buyerName) input.clientName = nameOnOneLine(fields.buyerName)
  if (fields.buyerEmail) input.clientEmail = fields.buyerEmail.replace(/^mailto:/i, '')
  if (fields.currency) input.currency = fields.currency

  const amount = fields.duePayableAmount ?? fields.grandTotalAmount
  if (amount !== null) {
    const cents = ciiAmountCents(amount)
    if (cents === undefined) {
      errors.push({ field: 'amountCents', message: `The amount ${quoted(amount)} is not a number` })
    } else {
      input.amountCents = cents
    }
  }

  const readDate = (
    field: 'issuedAt' | 'dueDate',
    label: string,
    value: string,
    format: string | null
  ) => {
    const date = ciiDate(value, format)
    if (date) input[field] = date
    else errors.push({ field, message: `The ${label} ${quoted(value)} is not a date` })
  }
  if (fields.issueDate) readDate('issuedAt', 'issue date', fields.issueDate, fields.issueDateFormat)
  if (fields.dueDate) {
    readDate('dueDate', 'due date', fields.dueDate, fields.dueDateFormat)
  } else {
    errors.push({
      field: 'dueDate',
      message: 'This Factur-X gives no due date (DueDateDateTime): give the row one',
    })
  }
  return { line, input, errors }
}
