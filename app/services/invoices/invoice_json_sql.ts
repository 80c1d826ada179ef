/*
| The invoice list's JSON, built by PostgreSQL. A plain string with no
| import, so the benchmark's framework-free server runs the very same SQL.
*/

/** Epoch milliseconds of a timestamp, as the pg driver truncates it to a Date. */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`

/**
 * An invoice's JSON, built by PostgreSQL for `page` (an `invoices` row)
 * joined to `customer`, with the same check-in and relances as
 * withDetails() in invoice_queries.ts and the keys of InvoiceTransformer.
 * Timestamps come as epoch milliseconds, written in the process's zone by
 * asShownInvoiceJson() there, which also drops a hold past its end (the
 * model's rule, on the app's clock: PostgreSQL's may differ).
 */
export const INVOICE_JSON = `json_build_object(
  'id', page.id, 'number', page.number, 'status', page.status,
  'amountCents', page.amount_cents, 'currency', page.currency,
  'paidAt', ${epochMs('page.paid_at')}, 'paidVia', page.paid_via,
  'issuedAt', to_char(page.issued_at, 'YYYY-MM-DD'), 'dueDate', to_char(page.due_date, 'YYYY-MM-DD'),
  'hold', CASE WHEN page.hold_reason IS NOT NULL
    THEN json_build_object('reason', page.hold_reason, 'since', ${epochMs('page.held_at')},
      'until', ${epochMs('page.hold_until')}, 'note', page.hold_note) END,
  'document', CASE WHEN page.document_path IS NOT NULL
    THEN json_build_object('filename', page.document_filename, 'sizeBytes', page.document_size_bytes,
      'uploadedAt', ${epochMs('page.document_uploaded_at')}) END,
  'client', json_build_object('id', customer.id, 'name', customer.name, 'email', customer.email),
  'checkin', (
    SELECT json_build_object(
      'status', task.status, 'answer', task.answer, 'reason', task.reason,
      'scheduledAt', ${epochMs('task.scheduled_at')},
      'sentAt', ${epochMs('task.sent_at')}, 'answeredAt', ${epochMs('task.answered_at')})
    FROM "checkin_tasks" task WHERE task.invoice_id = page.id
    ORDER BY task.status = 'cancelled', task.id DESC LIMIT 1),
  'relances', coalesce((
    SELECT json_agg(json_build_object(
      'sequence', relance.sequence, 'status', relance.status,
      'scheduledAt', ${epochMs('relance.scheduled_at')}, 'sentAt', ${epochMs('relance.sent_at')})
      ORDER BY relance.sequence)
    FROM "relances" relance WHERE relance.invoice_id = page.id), '[]'))`
