/**
 * The payload of a SEPA credit transfer QR code, as EPC069-12 ("Quick
 * Response Code: guidelines to enable data capture for the initiation of a
 * SEPA credit transfer", version 002) lays it out: one field per line, in
 * this order.
 */
export type EpcTransfer = {
  /** Beneficiary name, at most 70 characters. */
  name: string
  /** IBAN without spaces. */
  iban: string
  /** BIC, optional in version 002 within the EEA. */
  bic?: string | null
  /** Amount in euro cents, 1 to 99,999,999,999. */
  amountCents: number
  /** Unstructured remittance information, at most 140 characters. */
  remittance: string
}

const MAX_AMOUNT_CENTS = 99_999_999_999

/** Whether the amount fits the code (EUR 0.01 to EUR 999,999,999.99). */
export function fitsEpcAmount(amountCents: number) {
  return Number.isInteger(amountCents) && amountCents >= 1 && amountCents <= MAX_AMOUNT_CENTS
}

/** Line breaks would shift every later field: a field is one line. */
const oneLine = (value: string, max: number) =>
  [...value.replace(/[\r\n]+/g, ' ').trim()].slice(0, max).join('')

export function epcQrPayload(transfer: EpcTransfer): string {
  if (!fitsEpcAmount(transfer.amountCents)) {
    throw new RangeError('An EPC QR code carries EUR 0.01 to EUR 999,999,999.99')
  }
  const euros = Math.floor(transfer.amountCents / 100)
  const cents = String(transfer.amountCents % 100).padStart(2, '0')
  return [
    'BCD', // service tag
    '002', // version
    '1', // character set: UTF-8
    'SCT', // identification: SEPA credit transfer
    transfer.bic ?? '', // BIC of the beneficiary bank
    oneLine(transfer.name, 70), // beneficiary name
    transfer.iban, // beneficiary account
    `EUR${euros}.${cents}`, // amount
    '', // purpose code
    '', // structured remittance (creditor reference): not with unstructured text
    oneLine(transfer.remittance, 140), // unstructured remittance text
  ].join('\n')
}
