import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import ImportBatch, { type ImportRow } from '#models/import_batch'
import type User from '#models/user'
import { Exception } from '@adonisjs/core/exceptions'
import ConflictException from '#exceptions/conflict_exception'
import ActivityEvent from '#models/activity_event'
import { findOwned } from '#support/owned_records'
import { createInvoices, type NewInvoice } from '#services/invoices/create_invoices'
import { numberTakenMessage } from '#services/invoices/invoice_numbers'
import {
  IMPORT_FIELDS,
  parseImportFile,
  parseImportRows,
  quoted,
  type ParsedRow,
  type RowError,
} from '#services/imports/import_parser'
import { importRowValidator } from '#validators/import_batch'
import { readFacturXFiles } from '#services/imports/facturx_reader'
import { facturXRow } from '#services/imports/facturx_rows'
import { assertPdf, cleanUploadName } from '#services/documents/pdf_files'
import { removeDocuments, withStoredDocuments } from '#services/documents/document_storage'
import { eachInSlices } from '#support/time_slices'
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

/** An import read and validated, not stored yet; a Factur-X import has a PDF per row. */
export type DraftSource = {
  filename: string | null
  rows: ImportRow[]
  documents?: { line: number; filename: string; bytes: Uint8Array }[]
}

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
    // A file that gave no row at all (a PDF without Factur-X data) says only that
    const [failure, valid] = errors.some((error) => error.field === 'file')
      ? [null, null]
      : await importRowValidator.tryValidate(row.input)
    if (failure || !valid || errors.length > 0) {
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
      filename: cleanUploadName(source.file.clientName),
      rows: await validateRows(await parseImportFile(source.file.bytes)),
    }
  }
  return { filename: null, rows: await validateRows(parseImportRows(source.rows ?? [])) }
}

/**
 * The rows of a client named as the buyer, when the Factur-X gives no buyer
 * email: the email of the user's client of that name, when there is one.
 */
async function completeBuyerEmails(userId: number, rows: ParsedRow[]) {
  const missing = rows.filter(
    (row) => row.input.clientEmail === undefined && typeof row.input.clientName === 'string'
  )
  if (missing.length === 0) return
  const names = [...new Set(missing.map((row) => (row.input.clientName as string).toLowerCase()))]
  const clients: { name: string; email: string }[] = await db
    .from('clients')
    .select('name', 'email')
    .where('user_id', userId)
    .whereRaw('lower(name) IN (SELECT json_array_elements_text(?::json))', [JSON.stringify(names)])
  for (const row of missing) {
    const name = row.input.clientName as string
    const known = clients.filter((client) => client.name.toLowerCase() === name.toLowerCase())
    if (known.length === 1) {
      row.input.clientEmail = known[0].email
    } else {
      row.errors.push({
        field: 'clientEmail',
        message:
          known.length > 1
            ? `This Factur-X gives no buyer email, and several of your clients are named ${quoted(name)}: give the row one`
            : `This Factur-X gives no buyer email, and no client of yours is named ${quoted(name)}: give the row one`,
      })
    }
  }
}

export type PdfUpload = { clientName: string | null; bytes: Uint8Array }

/**
 * Reads PDFs to import (1 to 50): each must be a whole PDF of at most
 * 5 MB, checked before any is parsed; each gives one row, from its
 * Factur-X / ZUGFeRD data, or a row error when it has none. A PDF refused
 * refuses the import (413 / 422 naming it). No database write.
 */
export async function readPdfImport(userId: number, files: PdfUpload[]): Promise<DraftSource> {
  for (const file of files) assertPdf(file.bytes, file.clientName)
  const results = await readFacturXFiles(files)
  const parsed = results.map((result, index) => facturXRow(index + 1, result))
  await completeBuyerEmails(userId, parsed)
  const rows = await validateRows(parsed)
  const names = files.map((file, index) => cleanUploadName(file.clientName) ?? `${index + 1}.pdf`)
  rows.forEach((row, index) => {
    row.document = { filename: names[index], sizeBytes: files[index].bytes.length }
  })
  return {
    filename: names.join(', ').slice(0, 255),
    rows,
    documents: files.map((file, index) => ({
      line: index + 1,
      filename: names[index],
      bytes: file.bytes,
    })),
  }
}

/**
 * Stores a draft and its PDFs: the files are written first, under keys of
 * their own, and deleted again if the draft's transaction fails.
 */
export function storeDraft(user: User, source: DraftSource) {
  const documents = source.documents ?? []
  return withStoredDocuments(
    user.id,
    documents.map((document) => document.bytes),
    (paths) =>
      db.transaction(async (trx) => {
        const batch = await createDraft(user, source, trx)
        if (documents.length > 0) {
          const now = new Date()
          await trx
            .insertQuery()
            .table('import_batch_documents')
            .multiInsert(
              documents.map((document, index) => ({
                import_batch_id: batch.id,
                line: document.line,
                path: paths[index],
                filename: document.filename,
                size_bytes: document.bytes.length,
                created_at: now,
              }))
            )
        }
        return batch
      })
  )
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
  // A valid row's data is the invoice, its dates the calendar days the draft stored
  const invoices = await createInvoices(
    user,
    candidates.map((row) => row.data as ValidRowData),
    trx,
    { importBatchId: batch.id }
  )
  const created = new Set(invoices.map((invoice) => invoice.number))
  await keepDocumentsOfImported(
    { id: batch.id, userId: user.id },
    candidates.filter((row) => created.has(row.data.number as string)),
    trx
  )
  const imported = invoices.length
  const skippedValid = candidates.length - imported
  const rows =
    skippedValid === 0
      ? batch.rows
      : batch.rows.map((row) => {
          const number = row.data.number as string
          return row.errors.length === 0 && !created.has(number)
            ? { ...row, errors: [alreadyExists(number)] }
            : row
        })
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
      // Rewritten only when a row got an error: 10,000 rows of JSON are not written again as they are
      ...(skippedValid === 0 ? {} : { rows: JSON.stringify(rows) }),
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

/**
 * Each imported row's PDF becomes its invoice's document, in the validate's
 * transaction; the PDFs of the rows left out are deleted once it commits.
 * No file is written here: a validate that fails changes nothing.
 */
async function keepDocumentsOfImported(
  batch: { id: number; userId: number },
  imported: ImportRow[],
  trx: TransactionClientContract
) {
  // Only a Factur-X row has a PDF: a CSV or JSON import skips the statement
  const documents = imported
    .filter((row) => row.document)
    .map((row) => ({ line: row.line, number: row.data.number }))
  if (documents.length > 0) {
    await trx.rawQuery(
      `UPDATE invoices SET document_path = document.path, document_filename = document.filename,
         document_size_bytes = document.size_bytes, document_uploaded_at = document.created_at
       FROM import_batch_documents document
       JOIN json_to_recordset(?::json) AS imported(line int, number text) ON imported.line = document.line
       WHERE document.import_batch_id = ? AND invoices.import_batch_id = ?
         AND invoices.user_id = ? AND invoices.number = imported.number`,
      [JSON.stringify(documents), batch.id, batch.id, batch.userId]
    )
  }
  await releaseDraftDocuments(batch, new Set(imported.map((row) => row.line)), trx)
}

/**
 * Removes the draft's PDF rows; the files of the lines not kept are
 * deleted once the transaction commits.
 */
async function releaseDraftDocuments(
  batch: { id: number },
  kept: Set<number>,
  trx: TransactionClientContract
) {
  const released: { line: number; path: string }[] = await trx
    .from('import_batch_documents')
    .where('import_batch_id', batch.id)
    .delete()
    .returning(['line', 'path'])
  const orphans = released.filter((document) => !kept.has(document.line))
  if (orphans.length > 0) {
    trx.after('commit', () => removeDocuments(orphans.map((document) => document.path)))
  }
}

/**
 * Completes a row of a draft with `data` (a due date, an email the
 * Factur-X lacked…) and checks it again as `POST /invoices` would: its
 * errors are replaced by those of its new values. Only a draft: 409
 * otherwise; a line the draft has not: 404.
 */
export async function updateDraftRow(
  userId: number,
  batchId: number,
  line: number,
  changes: Record<string, unknown>,
  trx: TransactionClientContract
) {
  const batch = await findOwned(ImportBatch, userId, batchId, trx)
  if (batch.status !== 'draft') {
    throw new ConflictException(`This import batch is ${batch.status}, not a draft`)
  }
  const index = batch.rows.findIndex((row) => row.line === line)
  if (index < 0) throw new Exception(`This draft has no row on line ${line}`, { status: 404 })
  const current = batch.rows[index]
  const input: ParsedRow['input'] = {}
  for (const field of IMPORT_FIELDS) {
    const value = field in changes ? changes[field] : current.data[field]
    if (value !== null && value !== undefined && value !== '') input[field] = value
  }
  const [checked] = await validateRows([{ line, input, errors: [] }])
  const number = checked.data.number
  if (typeof number === 'string' && number !== '') {
    const earlier = batch.rows.find((row) => row.line < line && row.data.number === number)
    if (earlier) {
      checked.errors.push({
        field: 'number',
        message: `The number ${number} is already used on line ${earlier.line} of this import`,
      })
    }
    const taken = await takenNumbers(userId, [number], trx)
    if (taken.has(number)) {
      checked.errors.push(alreadyExists(number))
    }
  }
  const rows = batch.rows.map((row, at) =>
    at === index ? { ...checked, ...(row.document ? { document: row.document } : {}) } : row
  )
  const validRows = countValid(rows)
  batch.useTransaction(trx)
  await batch.merge({ rows, validRows, invalidRows: rows.length - validRows }).save()
  return batch
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
    await releaseDraftDocuments(batch, new Set(), trx)
  }
  return batch
}
