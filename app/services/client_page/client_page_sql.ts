/*
| The client's page's statements. Plain strings with no import, so the
| benchmark's framework-free server runs the very same SQL. pg's
| placeholders: the page's reads run through poolQuery, a form's statements
| inside its transaction through transactionQuery.
*/

/** The relance email of a page link, by its link's hash, with what the page uses of its user and client. */
export const PAGE_EMAIL_SQL = `SELECT email.user_id, email.client_id, email.sent_at,
    owner.full_name, owner.timezone, owner.payment_instructions,
    owner.iban, owner.bic, owner.account_holder,
    customer.name AS client_name, customer.locale AS client_locale
  FROM relance_emails email
  JOIN users owner ON owner.id = email.user_id
  JOIN clients customer ON customer.id = email.client_id
  WHERE email.link_token_hash = $1 LIMIT 1`

/** The client's pending invoices with this freelancer, due first, with their hold and document. */
export const PAGE_INVOICES_SQL = `SELECT id, number, amount_cents, currency,
    to_char(due_date, 'YYYY-MM-DD') AS due_date,
    hold_reason, held_at, hold_until, hold_note,
    document_path, document_filename, document_size_bytes, document_uploaded_at
  FROM invoices
  WHERE user_id = $1 AND client_id = $2 AND status = 'pending'
  ORDER BY due_date, id`

/** One of the page's invoices by its id, in any state: its whole row. */
export const PAGE_INVOICE_SQL = `SELECT * FROM invoices WHERE id = $1 AND user_id = $2 AND client_id = $3`

/**
 * The same invoice locked for a form's signal (its client is not), with
 * what the signal uses of it and of its client.
 */
export const LOCK_PAGE_INVOICE_SQL = `SELECT invoice.id, invoice.user_id, invoice.number, invoice.status,
    invoice.hold_reason, invoice.held_at, invoice.hold_until, invoice.hold_note,
    customer.name AS client_name, customer.email AS client_email
  FROM invoices invoice
  JOIN clients customer ON customer.id = invoice.client_id
  WHERE invoice.id = $1 AND invoice.user_id = $2 AND invoice.client_id = $3
  FOR NO KEY UPDATE OF invoice`
