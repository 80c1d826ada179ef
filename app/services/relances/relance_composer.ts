import { DateTime } from 'luxon'
import type Relance from '#models/relance'
import type Invoice from '#models/invoice'
import RelanceTemplate from '#models/relance_template'
import { renderRelance, type RenderedRelance } from '#mails/relance_content'
import { groupStep } from '#services/relances/relance_groups'

/**
 * The email that covers these relances (their invoice, user and client
 * loaded), as it goes out and as the preview shows it: each invoice once,
 * by due date, worded as the highest step, with the user's template of that
 * step in the client's locale when there is one.
 */
export async function composeRelanceEmail(
  relances: Relance[],
  now: DateTime = DateTime.now()
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
  return renderRelance({ user, client: customer, invoices, sequence, template, now })
}

function byDueDate(a: Invoice, b: Invoice) {
  return a.dueDate.toMillis() - b.dueDate.toMillis() || a.id - b.id
}
