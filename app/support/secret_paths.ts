/**
 * What the HTTP layer must never write to a log or an error report: the
 * token of a check-in link is a working payment link, that of a client's
 * page a working page. Masked in URLs and in messages that quote them (a
 * route-not-found message does).
 */
export function maskSecretPaths(text: string): string {
  return (
    text
      .replace(/(\/(?:checkin|client)\/)[^/?#\s]+/g, '$1[token]')
      // The inbound webhook's reply or bounce address holds its email's token
      .replace(/([?&]recipient=)[^&#\s]+/g, '$1[address]')
  )
}
