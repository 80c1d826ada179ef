// Encoded-word delimiters, what makes an address (`<`, `>`, `@`) and what
// quotes or escapes in a header (`"`, `\`)
const ADDRESS_LIKE = /=\?|\?=|[<>@"\\]/g
// Controls, format characters (bidi controls, zero-width ones) and line separators
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu

/**
 * A name as the display name of a From, Reply-To or To header. The
 * validators refuse names that could read as an address, but a name saved
 * before they did, or a rule missed by one, must not reach a header as one:
 * after NFKC (full-width ＠ is @), whatever could make or disguise an address
 * becomes a space, so no mail client shows "PayPal <service@paypal.com>"
 * for a name.
 */
export function displayName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(ADDRESS_LIKE, ' ')
    .replace(INVISIBLE, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The visible sender of the emails sent on a user's behalf. */
export function senderDisplayName(fullName: string): string {
  return `${displayName(fullName)} via Relance`
}
