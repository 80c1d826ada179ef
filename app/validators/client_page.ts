import vine from '@vinejs/vine'
import { dateWithinDays, plainText } from '#validators/rules'

/**
 * The forms of the client's page (application/x-www-form-urlencoded; an
 * empty field arrives as null). The dates are checked against the
 * freelancer's own calendar day by the signals themselves.
 */

/** "Already paid": when (not in the future) and a note. */
export const reportPaymentValidator = vine.create({
  paidOn: dateWithinDays(-366, 1).nullable().optional(),
  note: plainText(500).nullable().optional(),
})

/** A promised date, today to 60 days ahead. */
export const promisePaymentValidator = vine.create({
  promisedOn: dateWithinDays(-1, 61),
})

/** A dispute: what is wrong, in the client's words. */
export const disputeInvoiceValidator = vine.create({
  message: plainText(2_000),
})
