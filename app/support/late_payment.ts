/**
 * French B2B late-payment arithmetic (Code de commerce L441-10, D441-5):
 * interest at the annual rate of the terms, on the amount, × days late / 365;
 * and a fixed €40 recovery indemnity per invoice.
 */

/** The fixed recovery indemnity, in cents, owed on a EUR invoice. */
export const RECOVERY_INDEMNITY_CENTS = 4_000

/**
 * Interest to date in cents: amount × rate / 100 × days / 365, rounded to
 * the cent (half up). The rate has at most two decimals: worked in basis
 * points and BigInt, so no float ever decides a rounding.
 */
export function lateInterestCents(amountCents: number, annualRate: number, daysLate: number) {
  const basisPoints = BigInt(Math.round(annualRate * 100))
  const numerator = BigInt(amountCents) * basisPoints * BigInt(Math.max(0, daysLate))
  const denominator = 10_000n * 365n
  return Number((numerator * 2n + denominator) / (denominator * 2n))
}

/** The €40 indemnity is a sum in euros: stated on EUR invoices only. */
export function owesRecoveryIndemnity(currency: string) {
  return currency.toUpperCase() === 'EUR'
}
