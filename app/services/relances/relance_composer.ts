import { DateTime } from 'luxon'
import Relance from '#models/relance'
import type Invoice from '#models/invoice'
import RelanceTemplate from '#models/relance_template'
import { renderRelance, type RenderedRelance } from '#mails/relance_content'
import { groupStep, relancesDueWith } from '#services/relances/relance_groups'
import { PREVIEW_PAGE_URL } from '#services/client_page/client_page_links'
import { relanceAttachments } from '#services/documents/relance_attachments'
import { previewReplyAddress } from '#services/inbound/reply_addresses'

/**
 * The email that covers these relances (their invoice, user and client
 * loaded), as it goes out and as the preview shows it: each invoice once,
 * by due date, worded as the highest step, with the user's template of that
 * step in the client's locale when there is one.
 */
export async function composeRelanceEmail(
  relances: Relance[],
  { pageUrl, replyTo, now = DateTime.now() }: { pageUrl: string; replyTo?: string; now?: DateTime }
): Promise<RenderedRelance> {
  const { user, customer } = relances[0].invoice
  const sequence = groupStep(relances)
  const invoices = [...new Map(relances.map(({ invoice }) => [invoice.id, invoice])).values()]
  invoices.sort(byDueDate)
  const template = await RelanceTemplate.query()
    .where('user_id', user.id)
    .where('sequence', sequence)
    .where('locale', customer.locale)
    .first()
  const { attachments, onPage } = relanceAttachments(invoices)
  return renderRelance({
    user,
    client: customer,
    invoices,
    sequence,
    template,
    pageUrl,
    attachments,
    documentsOnPage: onPage,
    replyTo,
    now,
  })
}

function byDueDate(a: Invoice, b: Invoice) {
  return a.dueDate.toMillis() - b.dueDate.toMillis() || a.id - b.id
}

export type RelancePreview = Pick<RenderedRelance, 'to' | 'replyTo' | 'subject' | 'text'> & {
  scheduledAt: DateTime
  attachments: { filename: string; sizeBytes: number }[]
}

/**
 * What the user's relance of this step would send now: the same email the
 * job writes, with the other relances of the client due with it that day.
 * Another user's invoice, or a step it has no relance for, is a 404.
 */
export async function previewRelance(
  userId: number,
  invoiceId: number,
  sequence: number
): Promise<RelancePreview> {
  const relance = await Relance.query()
    .where('sequence', sequence)
    .whereIn('invoice_id', (invoices) =>
      invoices.from('invoices').select('id').where('user_id', userId).where('id', invoiceId)
    )
    .preload('invoice', (invoice) => invoice.preload('user').preload('customer'))
    .firstOrFail()
  const now = DateTime.now()
  const companions =
    relance.isScheduled && relance.invoice.isPending
      ? await relancesDueWith(relance, DateTime.max(now, relance.scheduledAt))
      : []
  // The page link and the reply address are made when the email leaves: the preview shows where they go
  const email = await composeRelanceEmail([relance, ...companions], {
    pageUrl: PREVIEW_PAGE_URL,
    replyTo: previewReplyAddress() ?? undefined,
    now,
  })
  return {
    to: email.to,
    replyTo: email.replyTo,
    subject: email.subject,
    text: email.text,
    scheduledAt: relance.scheduledAt,
    attachments: email.attachments.map(({ filename, sizeBytes }) => ({ filename, sizeBytes })),
  }
}
