import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ImportBatch, { type ImportRow } from '#models/import_batch'
import type User from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import ActivityEvent from '#models/activity_event'
import { findOwned } from '#support/owned_records'
import { createInvoices, type NewInvoice } from '#services/invoices/create_invoices'
import { numberTakenMessage } from '#services/invoices/invoice_numbers'
import {
  IMPORT_FIELDS,
  parseImportFile,
  parseImportRows,
  type ParsedRow,
  type RowError,
} from '#services/imports/import_parser'
import { importRowValidator } from '#validators/import_batch'
import { eachInSlices, mapInSlices } from '#support/time_slices'
import { workLine } from '#support/work_line'
import { assertImportSizeAllowed } from '#services/accounts/quotas'

/**
 * Reading a draft and validating one are the heaviest requests: each web
 * process runs two at a time, the others wait their turn holding no
 * connection (eleven users validating 5,000 rows at once took every
 * connection of the pool). Two, so that one held up (a lock, a slow
 * disk) does not hold every other user's.
 */
export const inImportLine = workLine({
  concurrency: 2,
  waiting: 50,
  busyMessage: 'Too many imports are running right now: try again in a minute',
})

/** An import read and validated, not stored yet. */
export type DraftSource = { filename: string | null; rows: ImportRow[] }

/** What a valid row holds: the invoice as `POST /invoices` takes it, stored as JSON (dates YYYY-MM-DD). */
type ValidRowData = Omit<NewInvoice, 'currency' | 'issuedAt' | 'dueDate'> & {
  currency: string
  issuedAt: string | null
  dueDate: string
}

/** A row that failed: its values as read, strings trimmed, currency defaulted. */
function invalidRowData(input: ParsedRow['input']): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  for (const field of IMPORT_FIELDS) {
    const value = input[field]
    data[field] = typeof value === 'string' ? value.trim() : (value ?? null)
  }
  if (data.currency === null || data.currency === '') data.currency = 'EUR'
  else if (typeof data.currency === 'string') data.currency = data.currency.toUpperCase()
  return data
}

/**
 * Validates every row on its own, and flags a number met again in the
 * import: its first row stays valid, each later one names that first line.
 */
async function validateRows(parsed: ParsedRow[]): Promise<ImportRow[]> {
  const firstLineOf = new Map<string, number>()
  const rows: ImportRow[] = []
  await eachInSlices(parsed, async (row) => {
    const errors: RowError[] = [...row.errors]
    let data: Record<string, unknown>
    const [failure, valid] = await importRowValidator.tryValidate(row.input)
    if (failure || errors.length > 0) {
      // A value the parser could not convert already has its own message
      const converted = new Set(errors.map((error) => error.field))
      for (const { field, message } of (failure?.messages ?? []) as RowError[]) {
        if (!converted.has(field)) errors.push({ field, message })
      }
      data = invalidRowData(row.input)
    } else {
      data = {
        number: valid.number,
        clientName: valid.clientName,
        clientEmail: valid.clientEmail,
        amountCents: valid.amountCents,
        currency: valid.currency ?? 'EUR',
        issuedAt: valid.issuedAt?.toISODate() ?? null,
        dueDate: valid.dueDate.toISODate()!,
      } satisfies ValidRowData
    }

    if (typeof data.number === 'string' && data.number !== '') {
      const firstLine = firstLineOf.get(data.number)
      if (firstLine === undefined) {
        firstLineOf.set(data.number, row.line)
      } else {
        errors.push({
          field: 'number',
          message: `The number ${data.number} is already used on line ${firstLine} of this import`,
        })
      }
    }
    rows.push({ line: row.line, data, errors })
  })
  return rows
}

/** A file name fit for the column: no control characters, 255 characters at most. */
function cleanFilename(name: string | null | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const cleaned = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return cleaned ? cleaned.slice(0, 255) : null
}

/**
 * Reads an import — a CSV upload or JSON rows — and validates every row.
 * No database work: it runs before the transaction opens.
 */
export async function readImport(source: {
  file?: { clientName: string | null; bytes: Buffer }
  rows?: Record<string, unknown>[]
}): Promise<DraftSource> {
  if (source.file) {
    return {
      filename: cleanFilename(source.file.clientName),
      rows: await validateRows(await parseImportFile(source.file.bytes)),
    }
  }
  return { filename: null, rows: await validateRows(parseImportRows(source.rows ?? [])) }
}

/** The numbers, among these, that the user's invoices already have. */
async function takenNumbers(userId: number, numbers: string[], trx: TransactionClientContract) {
  if (numbers.length === 0) return new Set<string>()
  const taken: { number: string }[] = await trx
    .from('invoices')
    .select('number')
    .where('user_id', userId)
    .whereRaw('number IN (SELECT json_array_elements_text(?::json))', [JSON.stringify(numbers)])
  return new Set(taken.map(({ number }) => number))
}

const alreadyExists = (number: string): RowError => ({
  field: 'number',
  message: numberTakenMessage(number),
})

const countValid = (rows: ImportRow[]) => rows.filter((row) => row.errors.length === 0).length

/**
 * What a draft shows. Drafts are written and read as plain rows, not
 * models: a model deep-copies its attributes at every load and save, and
 * the copy of 10,000 rows held the event loop for 30 ms.
 */
export type ImportBatchView = Pick<
  ImportBatch,
  'id' | 'status' | 'filename' | 'totalRows' | 'validRows' | 'invalidRows' | 'rows'
>

const VIEW_COLUMNS = [
  'id',
  'status',
  'filename',
  'total_rows as totalRows',
  'valid_rows as validRows',
  'invalid_rows as invalidRows',
  'rows',
]

/**
 * Stores the draft of an import, flagging the numbers the user already has.
 */
export async function createDraft(
  user: User,
  source: DraftSource,
  trx: TransactionClientContract
): Promise<ImportBatchView> {
  assertImportSizeAllowed(user, source.rows.length)
  const numbers = source.rows
    .map((row) => row.data.number)
    .filter((number): number is string => typeof number === 'string' && number !== '')
  const taken = await takenNumbers(user.id, [...new Set(numbers)], trx)
  const rows = source.rows.map((row) =>
    typeof row.data.number === 'string' && taken.has(row.data.number)
      ? { ...row, errors: [...row.errors, alreadyExists(row.data.number)] }
      : row
  )
  const validRows = countValid(rows)
  const now = new Date()
  const draft = {
    status: 'draft' as const,
    filename: source.filename,
    totalRows: rows.length,
    validRows,
    invalidRows: rows.length - validRows,
  }
  const [{ id }] = await trx
    .insertQuery()
    .table(ImportBatch.table)
    .insert({
      user_id: user.id,
      status: draft.status,
      filename: draft.filename,
      rows: JSON.stringify(rows),
      total_rows: draft.totalRows,
      valid_rows: draft.validRows,
      invalid_rows: draft.invalidRows,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
  return { id, ...draft, rows }
}

/**
 * The user's import batch; another user's is a 404. Inside a transaction
 * the row is locked (FOR NO KEY UPDATE).
 */
export function findImportBatch(
  userId: number,
  batchId: number,
  trx?: TransactionClientContract
): Promise<ImportBatchView> {
  const query = (trx ?? db)
    .from(ImportBatch.table)
    .select(VIEW_COLUMNS)
    .where('user_id', userId)
    .where('id', batchId)
  if (trx) query.knexQuery.forNoKeyUpdate()
  return query.firstOrFail()
}

function toNewInvoice(data: ValidRowData): NewInvoice {
  return {
    number: data.number,
    clientName: data.clientName,
    clientEmail: data.clientEmail,
    amountCents: data.amountCents,
    currency: data.currency,
    issuedAt: data.issuedAt ? DateTime.fromISO(data.issuedAt, { zone: 'utc' }) : undefined,
    dueDate: DateTime.fromISO(data.dueDate, { zone: 'utc' }),
  }
}

const ANOTHER_VALIDATE_RUNS =
  'Another import of this account is being validated: try again once it is done'

/** The users whose validate is running or waiting in this process's line. */
const validating = new Set<number>()

/**
 * Validates a draft in the import line. A second validate of the same user
 * is a 409 at once, not a turn in the line behind the first (another
 * process's is caught by the lock below).
 */
export async function validateDraftInLine(user: User, batchId: number) {
  if (validating.has(user.id)) throw new ConflictException(ANOTHER_VALIDATE_RUNS)
  validating.add(user.id)
  try {
    return await inImportLine(() => db.transaction((trx) => validateDraft(user, batchId, trx)))
  } finally {
    validating.delete(user.id)
  }
}

/**
 * One validate per user at a time: a second one, of any of their batches,
 * is a 409 while the first runs, rather than another heavy transaction
 * queued behind it. The lock goes with the transaction.
 */
async function lockUserImports(userId: number, trx: TransactionClientContract) {
  const { rows } = await trx.rawQuery(
    "SELECT pg_try_advisory_xact_lock(hashtext('import_batches.validate'), ?) AS locked",
    [userId]
  )
  if (!rows[0].locked) throw new ConflictException(ANOTHER_VALIDATE_RUNS)
}

/**
 * Imports the draft's valid rows: their clients, invoices, check-ins and
 * relances with set-based statements, the jobs enqueued in bulk after
 * commit, one `import_validated` event. The batch row is locked, so a second
 * or concurrent validate is a 409 that creates nothing. A number taken since
 * the draft was made is skipped and its row gets the error.
 */
export async function validateDraft(user: User, batchId: number, trx: TransactionClientContract) {
  await lockUserImports(user.id, trx)
  const batch = await findImportBatch(user.id, batchId, trx)
  if (batch.status !== 'draft') {
    throw new ConflictException(`This import batch is ${batch.status}, not a draft`)
  }
  const candidates = batch.rows.filter((row) => row.errors.length === 0)
  const invoices = await createInvoices(
    user,
    await mapInSlices(candidates, (row) => toNewInvoice(row.data as ValidRowData)),
    trx,
    { importBatchId: batch.id }
  )
  const created = new Set(invoices.map((invoice) => invoice.number))
  const rows = batch.rows.map((row) => {
    const number = row.data.number as string
    return row.errors.length === 0 && !created.has(number)
      ? { ...row, errors: [alreadyExists(number)] }
      : row
  })
  const imported = invoices.length
  const validated = {
    ...batch,
    status: 'validated' as const,
    rows,
    validRows: imported,
    invalidRows: batch.totalRows - imported,
  }
  const now = new Date()
  await trx
    .from(ImportBatch.table)
    .where('id', batch.id)
    .update({
      status: validated.status,
      rows: JSON.stringify(rows),
      valid_rows: validated.validRows,
      invalid_rows: validated.invalidRows,
      validated_at: now,
      updated_at: now,
    })
  await ActivityEvent.record(
    {
      userId: user.id,
      type: 'import_validated',
      label: `Imported ${imported} ${imported === 1 ? 'invoice' : 'invoices'} from ${batch.filename ?? 'JSON rows'}`,
      metadata: {
        importBatchId: batch.id,
        filename: batch.filename,
        totalRows: batch.totalRows,
        imported,
        skipped: batch.totalRows - imported,
      },
    },
    trx
  )
  return validated
}

/** Discards a draft (again: no-op). A validated batch stays: 409. */
export async function discardDraft(
  userId: number,
  batchId: number,
  trx: TransactionClientContract
) {
  const batch = await findOwned(ImportBatch, userId, batchId, trx)
  if (batch.status === 'validated') {
    throw new ConflictException('A validated import batch cannot be discarded')
  }
  if (batch.status === 'draft') {
    batch.useTransaction(trx)
    await batch.merge({ status: 'discarded' }).save()
  }
  return batch
}
