import { DateTime } from 'luxon'
import type { ParsedMail } from 'mailparser'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { dayFromToday } from '#tests/helpers/calendar'

/** Freelancer `n` of a scenario, and the client of their invoice. */
export const freelancerEmail = (label: string, n: number) => `${label}-${n}@example.test`
export const clientEmail = (label: string, n: number) => `client-of-${label}-${n}@example.test`

/**
 * `count` freelancers, each with one invoice due yesterday: every check-in
 * comes due CHECKIN_PAST_DUE_DELAY_MS (200 ms in tests) after creation, and
 * the relances are days away. Each address gets at most one email per kind,
 * so counting an inbox by recipient counts sends per row. No check-in
 * follows the sent one (the setting is off): the rows a scenario promises
 * are the ones it created.
 */
export async function freelancersWithInvoicesDue(count: number, label: string) {
  const dueDate = dayFromToday(-1)
  const created = []
  for (let n = 1; n <= count; n++) {
    const user = await UserFactory.merge({
      email: freelancerEmail(label, n),
      checkinBeforeEachRelance: false,
    }).create()
    const invoice = await createScheduledInvoice(user, {
      dueDate,
      clientEmail: clientEmail(label, n),
    })
    created.push({ user, invoice })
  }
  return created
}

/**
 * Brings the first relance of these invoices to a minute ago in PostgreSQL
 * (to midnight in the freelancer's zone in the day's first minute: relances
 * due the same day go in one email, so a minute ago must still be today),
 * and its delayed job, when Redis still holds one, to now.
 */
export function firstRelancesDueNow(invoiceIds: number[]) {
  return relancesDueNow(invoiceIds, [1])
}

/** The same for the relances of these steps (a job that finished is left finished). */
export async function relancesDueNow(invoiceIds: number[], sequences: number[]) {
  const relances = await Relance.query()
    .whereIn('invoice_id', invoiceIds)
    .whereIn('sequence', sequences)
    .preload('invoice', (invoice) => invoice.preload('user'))
  const now = DateTime.now()
  for (const relance of relances) {
    const today = now.setZone(relance.invoice.user.timezone).startOf('day')
    await Relance.query()
      .where('id', relance.id)
      .update({ scheduled_at: DateTime.max(now.minus({ minutes: 1 }), today).toJSDate() })
  }
  for (const relance of relances) {
    const job = await getQueue('relances').getJob(sendRelanceJob.jobId(relance.id))
    if (await job?.isDelayed()) await job!.promote()
  }
  return relances
}

/** The To address of an email sent to one recipient. */
export function recipientOf(mail: ParsedMail): string {
  return [mail.to ?? []].flat()[0].value[0].address!
}
