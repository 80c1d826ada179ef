import type Invoice from '#models/invoice'
import type { RelanceAttachment } from '#mails/relance_content'
import { pdfNameOf } from '#services/documents/pdf_files'

/** What one relance email carries in PDFs, in all: mail systems refuse much more. */
export const MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024

/**
 * The PDFs a relance listing these invoices attaches, in the order it lists
 * them, each as `<number>.pdf`, while they fit in 10 MB together; the
 * numbers of the invoices whose PDF did not fit, for the email to send the
 * client to the page, which links every one.
 */
export function relanceAttachments(invoices: Invoice[]) {
  const attachments: RelanceAttachment[] = []
  const onPage: string[] = []
  const taken = new Set<string>()
  let total = 0
  for (const invoice of invoices) {
    const document = invoice.document
    if (!document) continue
    if (total + document.sizeBytes > MAX_ATTACHMENTS_BYTES) {
      onPage.push(invoice.number)
      continue
    }
    total += document.sizeBytes
    attachments.push({
      filename: uniqueName(pdfNameOf(invoice.number), taken),
      sizeBytes: document.sizeBytes,
      path: document.path,
    })
  }
  return { attachments, onPage }
}

/** Two numbers may read alike once made safe (`A/1`, `A:1`): the second is `A-1 (2).pdf`. */
function uniqueName(filename: string, taken: Set<string>) {
  let name = filename
  for (let copy = 2; taken.has(name.toLowerCase()); copy++) {
    name = filename.replace(/\.pdf$/, ` (${copy}).pdf`)
  }
  taken.add(name.toLowerCase())
  return name
}
