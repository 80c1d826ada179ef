import { setImmediate as nextTurn } from 'node:timers/promises'
import iconv from 'iconv-lite'
import { DateTime } from 'luxon'
import { CsvError, parse, type CastingContext, type InfoRecord } from 'csv-parse'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'
import UnreadableImportException from '#exceptions/unreadable_import_exception'

/**
 * Reading an import: a CSV file as real exports write it (French Excel
 * included), or rows sent as JSON. Nothing here touches the database; rows
 * come out with their values converted to what the API takes (amounts in
 * cents, dates YYYY-MM-DD) and the errors met while converting them.
 */

export const MAX_IMPORT_FILE_BYTES = 5 * 1024 * 1024
export const MAX_IMPORT_ROWS = 10_000
export const MAX_IMPORT_COLUMNS = 64
// The characters of one record's cells: past it, it is no invoice row but
// most likely a quote left open, swallowing the rest of the file
export const MAX_RECORD_CHARACTERS = 64 * 1024
// The parser reads the file a slice at a time, letting other requests in
// between: a large file never holds the event loop for long
const PARSE_SLICE_BYTES = 256 * 1024
// A value quoted back in a message is cut to this many characters
const QUOTED_CHARACTERS = 40

export type ImportField =
  'number' | 'clientName' | 'clientEmail' | 'amountCents' | 'currency' | 'issuedAt' | 'dueDate'

export type RowError = { field: string; message: string }

/** A row as read: `line` in the file (header = 1) or index in `rows` (from 1). */
export type ParsedRow = {
  line: number
  input: Partial<Record<ImportField, unknown>>
  errors: RowError[]
}

export const IMPORT_FIELDS: ImportField[] = [
  'number',
  'clientName',
  'clientEmail',
  'amountCents',
  'currency',
  'issuedAt',
  'dueDate',
]

/** The header names each field answers to, in English and French. */
export const HEADER_NAMES: Record<ImportField, string[]> = {
  number: ['number', 'numéro', 'facture'],
  clientName: ['client', 'client_name'],
  clientEmail: ['email', 'client_email'],
  amountCents: ['amount', 'montant'],
  currency: ['currency', 'devise'],
  issuedAt: ['issued_at', 'date'],
  dueDate: ['due_date', 'échéance'],
}

const REQUIRED_FIELDS: ImportField[] = [
  'number',
  'clientName',
  'clientEmail',
  'amountCents',
  'dueDate',
]

/** "Échéance", "ECHEANCE", "due date", "Due_Date" and "e-mail" all meet their field. */
export function normalizeHeader(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
}

const FIELD_BY_HEADER = new Map(
  Object.entries(HEADER_NAMES).flatMap(([field, names]) =>
    names.map((name) => [normalizeHeader(name), field as ImportField])
  )
)

export function fieldForHeader(name: string): ImportField | undefined {
  return FIELD_BY_HEADER.get(normalizeHeader(name))
}

/** A value quoted in a message, cut short: a message never echoes a whole cell. */
export function quoted(value: string): string {
  const characters = [...value.trim()]
  const shown = characters.slice(0, QUOTED_CHARACTERS).join('')
  return `"${characters.length > QUOTED_CHARACTERS ? `${shown}…` : shown}"`
}

export function assertImportSize(rowCount: number) {
  if (rowCount > MAX_IMPORT_ROWS) {
    throw new PayloadTooLargeException(
      `The import has ${rowCount.toLocaleString('en')} rows; the limit is ${MAX_IMPORT_ROWS.toLocaleString('en')} rows`
    )
  }
  if (rowCount === 0) throw new UnreadableImportException('The import has no rows')
}

export function assertImportFileSize(bytes: number) {
  if (bytes > MAX_IMPORT_FILE_BYTES) {
    throw new PayloadTooLargeException(
      // Rounded up: a file just over the limit never reads "5.0 MB"
      `The file is ${(Math.ceil((bytes / 1024 / 1024) * 10) / 10).toFixed(1)} MB; the limit is ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MB`
    )
  }
}

// C0 controls but tab, LF and CR; DEL; C1 controls (bytes Windows-1252 leaves undefined)
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

/**
 * The file's text: UTF-8 (its BOM dropped) when the bytes are valid UTF-8,
 * Windows-1252 otherwise — what French Excel writes for "CSV (point-virgule)".
 * Binary data is refused.
 */
export function decodeText(bytes: Buffer): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UnreadableImportException(
      'The file is UTF-16 text; export it as "CSV UTF-8" or "CSV (point-virgule)"'
    )
  }
  const binary = new UnreadableImportException(
    'The file is not a CSV text file: it holds binary data'
  )
  if (bytes.includes(0)) throw binary
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    text = iconv.decode(bytes, 'windows-1252')
  }
  if (CONTROL_CHARACTERS.test(text)) throw binary
  return text
}

/** A record that holds cells (blank lines are none) and the line it starts on. */
type CsvRecord = { record: string[]; line: number }

const newlines = (record: string[]) =>
  record.reduce((count, cell) => count + (cell.match(/\n/g)?.length ?? 0), 0)

const tooManyRows = () =>
  new PayloadTooLargeException(
    `The file has more than ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; the limit is ${MAX_IMPORT_ROWS.toLocaleString('en')} rows`
  )

/** csv-parse's own errors, in words; they never quote the file at length. */
function describeCsvError(error: CsvError): string {
  const line = (error as CsvError & { lines?: number }).lines
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return `the record on line ${line} is over ${MAX_RECORD_CHARACTERS / 1024} KB: is a quote left open?`
  }
  return error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message
}

/**
 * The records of `data` (UTF-8, `\n` line ends), bounded as it goes: a
 * record over MAX_RECORD_CHARACTERS, a 65th column or a row past
 * MAX_IMPORT_ROWS stops the parser at once, the rest unread. `keep` stops
 * it once that many records are read.
 */
async function parseCsv(
  data: Buffer,
  delimiter: string,
  { fromLine = 1, keep = Infinity }: { fromLine?: number; keep?: number } = {}
): Promise<CsvRecord[]> {
  const records: CsvRecord[] = []
  let failure: unknown
  const parser = parse({
    delimiter,
    // Line ends are `\n` by now: the parser need not look for others at each character
    record_delimiter: '\n',
    from_line: fromLine,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARACTERS,
    // Called for every cell as it ends: a wide record stops at its 65th cell
    cast: (value: string, context: CastingContext) => {
      if (typeof context.column === 'number' && context.column >= MAX_IMPORT_COLUMNS) {
        throw new UnreadableImportException(
          `Line ${context.lines} has more than ${MAX_IMPORT_COLUMNS} columns; the limit is ${MAX_IMPORT_COLUMNS}`
        )
      }
      return value
    },
    // Records are kept here, as the parser meets them, rather than emitted:
    // the limits below count them at once
    on_record: (record: string[], context: InfoRecord) => {
      // Lines of empty cells are no rows either
      if (record.every((cell) => cell.trim() === '')) return null
      // The header, then at most MAX_IMPORT_ROWS rows
      if (records.length > MAX_IMPORT_ROWS) throw tooManyRows()
      // `lines` is the record's last line: step back over its quoted newlines
      records.push({ record, line: context.lines - newlines(record) })
      return null
    },
  })
  parser.on('error', (error) => (failure ??= error))
  // Nothing is emitted, yet the stream must flow to end
  parser.resume()
  const done = () => failure !== undefined || records.length >= keep
  for (let start = 0; start < data.length && !done(); start += PARSE_SLICE_BYTES) {
    parser.write(data.subarray(start, start + PARSE_SLICE_BYTES))
    await nextTurn()
  }
  if (!done()) {
    const closed = new Promise((resolve) => parser.once('close', resolve))
    parser.end()
    await closed
  }
  parser.destroy()
  // What comes after the records asked for does not matter
  if (records.length >= keep) return records.slice(0, keep)
  if (failure instanceof CsvError) {
    throw new UnreadableImportException(`The file is not valid CSV: ${describeCsvError(failure)}`)
  }
  if (failure) throw failure
  return records
}

/**
 * `;` or `,`: the one that splits the header into more columns we know
 * (then into more columns). Amounts such as `1 234,56` in a `;` file do
 * not fool it: only the header line is read.
 */
async function detectDelimiter(data: Buffer): Promise<string> {
  let best = { delimiter: ',', known: -1, columns: -1 }
  for (const delimiter of [';', ',']) {
    try {
      const [first] = await parseCsv(data, delimiter, { keep: 1 })
      const header = first?.record ?? []
      const known = header.filter((name) => fieldForHeader(name)).length
      if (known > best.known || (known === best.known && header.length > best.columns)) {
        best = { delimiter, known, columns: header.length }
      }
    } catch {
      // Not readable with this delimiter: the other one wins
    }
  }
  return best.delimiter
}

/** The column index of each field, from the header row. */
function mapColumns(header: string[]): Map<ImportField, number> {
  const columns = new Map<ImportField, number>()
  header.forEach((name, index) => {
    const field = fieldForHeader(name)
    if (!field) return
    if (columns.has(field)) {
      throw new UnreadableImportException(
        `The columns ${quoted(header[columns.get(field)!])} and ${quoted(name)} both give the ${field}`
      )
    }
    columns.set(field, index)
  })
  const missing = REQUIRED_FIELDS.filter((field) => !columns.has(field))
  if (missing.length > 0) {
    const names = missing.map((field) => HEADER_NAMES[field].join(' / '))
    const found = header.map(quoted).join(', ')
    throw new UnreadableImportException(
      `The header lacks the required columns ${names.join(', ')} (found ${found || 'none'})`
    )
  }
  return columns
}

/**
 * An amount as people write it, in cents: `1 234,56 €`, `1234.56`,
 * `1,234.56`, `1.234,56`, `EUR 12`, `-12,50`. Undefined when it is not one.
 */
export function parseAmountCents(raw: string): number | undefined {
  let text = raw
    .replace(/[\s\u00a0\u202f']/g, '')
    .replace(/^[€$£]|[€$£]$/g, '')
    .replace(/^[A-Za-z]{3}|[A-Za-z]{3}$/g, '')
  let sign = 1
  if (/^\(.*\)$/.test(text)) {
    sign = -1
    text = text.slice(1, -1)
  }
  if (/^[-\u2212]/.test(text)) {
    sign = -sign
    text = text.slice(1)
  } else if (text.startsWith('+')) {
    text = text.slice(1)
  }
  if (!/^\d[\d.,]*$/.test(text)) return undefined

  const lastComma = text.lastIndexOf(',')
  const lastDot = text.lastIndexOf('.')
  let integer = text
  let decimals = ''
  if (lastComma >= 0 && lastDot >= 0) {
    // Both: the last one is the decimal separator, the other groups thousands
    const decimalAt = Math.max(lastComma, lastDot)
    const grouping = lastComma > lastDot ? '.' : ','
    integer = text.slice(0, decimalAt)
    decimals = text.slice(decimalAt + 1)
    if (!isGrouped(integer, grouping)) return undefined
    integer = integer.replaceAll(grouping, '')
  } else if (lastComma >= 0 || lastDot >= 0) {
    const separator = lastComma >= 0 ? ',' : '.'
    const parts = text.split(separator)
    if (parts.length > 2 || (parts[1].length === 3 && parts[0].length <= 3)) {
      // 1,234 / 1.234.567: thousands, no decimals
      if (!isGrouped(text, separator)) return undefined
      integer = text.replaceAll(separator, '')
    } else {
      ;[integer, decimals] = parts
    }
  }
  if (!/^\d+$/.test(integer) || !/^\d{0,2}$/.test(decimals)) return undefined
  return sign * (Number(integer) * 100 + Number(decimals.padEnd(2, '0')))
}

function isGrouped(integer: string, separator: string): boolean {
  if (!integer.includes(separator)) return /^\d+$/.test(integer)
  const [head, ...groups] = integer.split(separator)
  return /^[1-9]\d{0,2}$/.test(head) && groups.every((group) => /^\d{3}$/.test(group))
}

/**
 * A date written DD/MM/YYYY (French Excel; `.` or `-` also accepted, one
 * digit day and month too) or YYYY-MM-DD, as YYYY-MM-DD. A time Excel may
 * add is dropped. Whether the day exists is left to the validator.
 */
export function parseCalendarDate(raw: string): string | undefined {
  const text = raw.trim().replace(/[ T]\d{1,2}:\d{2}(:\d{2})?$/, '')
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text
  const match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text)
  if (!match) return undefined
  const [, day, month, year] = match
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`
}

/**
 * A name cell on one line. Excel writes Alt+Enter inside a cell as a line
 * break, which a name must not carry (it would start a new line in an email
 * header or body): line breaks and tabs become a space, runs of spaces one.
 * Other control characters stay, for the validator to refuse.
 */
export function nameOnOneLine(cell: string): string {
  return cell.replace(/[\t\n\r\u2028\u2029 ]+/g, ' ').trim()
}

/** The cells that hold a name: read as nameOnOneLine() writes them. */
const NAME_FIELDS: ReadonlySet<ImportField> = new Set(['clientName'])

/** A CSV row's cells (trimmed, blanks left out) converted for validation. */
function convertCells(cells: Partial<Record<ImportField, string>>) {
  const input: ParsedRow['input'] = { ...cells }
  const errors: RowError[] = []
  if (cells.amountCents !== undefined) {
    const cents = parseAmountCents(cells.amountCents)
    if (cents === undefined) {
      errors.push({
        field: 'amountCents',
        message: `The amount ${quoted(cells.amountCents)} is not an amount such as 1 234,56 or 1234.56`,
      })
    } else {
      input.amountCents = cents
    }
  }
  for (const field of ['issuedAt', 'dueDate'] as const) {
    const value = cells[field]
    if (value === undefined) continue
    const date = parseCalendarDate(value)
    if (date === undefined) {
      errors.push({
        field,
        message: `The date ${quoted(value)} is not written DD/MM/YYYY or YYYY-MM-DD`,
      })
      continue
    }
    if (!DateTime.fromISO(date, { zone: 'utc' }).isValid) {
      errors.push({ field, message: `The date ${quoted(value)} does not exist` })
    }
    input[field] = date
  }
  return { input, errors }
}

/**
 * The rows of a CSV file. Refuses (422) what is not a CSV we can read: binary
 * data, a record over 64 KB or 64 columns, a header without the required
 * columns, no rows; and (413) more bytes or rows than the limits, without
 * reading further. Blank lines, and lines of empty cells, are not rows.
 */
export async function parseImportFile(bytes: Buffer): Promise<ParsedRow[]> {
  assertImportFileSize(bytes.length)
  // One line ending, so line numbers count quoted newlines right
  const text = decodeText(bytes).replace(/\r\n?/g, '\n')
  const data = Buffer.from(text)
  // Excel reads, and some exports write, a first line `sep=;` naming the separator
  const declared = /^sep=([;,])\n/i.exec(text)
  const delimiter = declared?.[1] ?? (await detectDelimiter(data))
  const records = await parseCsv(data, delimiter, { fromLine: declared ? 2 : 1 })
  if (records.length === 0) throw new UnreadableImportException('The file is empty: it has no rows')

  const [header, ...body] = records
  const columns = mapColumns(header.record)
  assertImportSize(body.length)
  return body.map(({ record, line }) => {
    const cells: Partial<Record<ImportField, string>> = {}
    for (const [field, index] of columns) {
      const cell = record[index] ?? ''
      const value = NAME_FIELDS.has(field) ? nameOnOneLine(cell) : cell.trim()
      if (value) cells[field] = value
    }
    return { line, ...convertCells(cells) }
  })
}

/** Rows sent as JSON: taken as they are, line = index from 1. */
export function parseImportRows(rows: Record<string, unknown>[]): ParsedRow[] {
  assertImportSize(rows.length)
  return rows.map((row, index) => {
    const input: ParsedRow['input'] = {}
    for (const field of IMPORT_FIELDS) {
      if (row[field] !== undefined) input[field] = row[field]
    }
    return { line: index + 1, input, errors: [] }
  })
}
