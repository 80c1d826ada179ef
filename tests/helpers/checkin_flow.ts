import CheckinTask from '#models/checkin_task'
import { postInvoiceOn, registerVerifiedOn, type RunningApp } from '#tests/helpers/app_processes'
import type { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'

export type PostedInvoice = { id: number; number: string }

/** Invoice `n` of a scenario: numbers no other one contains (F-001, never F-1 inside F-10). */
export const invoiceNumber = (label: string, n: number) => `${label}-${String(n).padStart(3, '0')}`

/**
 * POST /invoices for invoice `n` of `label`, due yesterday: its check-in goes
 * out at once. Throws unless the API answers 201.
 */
export async function postInvoiceDue(
  app: Pick<RunningApp, 'baseUrl'>,
  token: string,
  label: string,
  n: number
): Promise<PostedInvoice> {
  const number = invoiceNumber(label, n)
  const created = await postInvoiceOn(app, token, { number, amountCents: 10_000 + n })
  if (created.status !== 201) {
    throw new Error(`invoice ${number} refused: ${created.status} ${JSON.stringify(created.body)}`)
  }
  return { id: created.body.data.id, number }
}

/**
 * Through a running app's API: a freelancer registers and verifies the
 * address (the verification email leaves the inbox), then records `count`
 * invoices due yesterday.
 */
export async function freelancerWithInvoicesDue(
  app: Pick<RunningApp, 'baseUrl'>,
  inbox: SmtpInbox,
  email: string,
  count: number,
  label: string
) {
  const token = await registerVerifiedOn(app, inbox, email)
  const invoices: PostedInvoice[] = []
  for (let n = 1; n <= count; n++) invoices.push(await postInvoiceDue(app, token, label, n))
  return { token, invoices }
}

/**
 * How many emails to `email` name each invoice: check-ins due together go
 * in one digest, so emails are counted per invoice, not per message.
 */
export function checkinEmailsPerInvoice(
  inbox: SmtpInbox,
  email: string,
  invoices: PostedInvoice[]
): Record<string, number> {
  const texts = inbox.to(email).map((mail) => `${mail.subject}\n${mail.text}`)
  return Object.fromEntries(
    invoices.map(({ number }) => [number, texts.filter((text) => text.includes(number)).length])
  )
}

/**
 * Waits until the first check-in of every invoice is `sent` and an email to
 * `email` names each one.
 */
export async function waitForCheckinsSent(
  inbox: SmtpInbox,
  email: string,
  invoices: PostedInvoice[],
  timeoutMs = 30_000
) {
  await waitFor(
    `check-ins of ${invoices.length} invoices sent to ${email}`,
    async () => {
      const sent = await CheckinTask.query()
        .whereIn(
          'invoice_id',
          invoices.map((invoice) => invoice.id)
        )
        .where('status', 'sent')
      const invoicesSent = new Set(sent.map((task) => task.invoiceId))
      return (
        invoicesSent.size === invoices.length &&
        Object.values(checkinEmailsPerInvoice(inbox, email, invoices)).every((count) => count > 0)
      )
    },
    { timeoutMs, intervalMs: 100 }
  )
}

/** Each invoice named by exactly one email: what the tests expect after the waits. */
export function oncePerInvoice(invoices: PostedInvoice[]) {
  return Object.fromEntries(invoices.map(({ number }) => [number, 1]))
}
