/**
 * What the HTTP layer must never write to a log or an error report: the
 * token of a link is a capability. A check-in link is a working payment
 * link, a verification link verifies an account, a client page link shows
 * and signals a client's invoices. Masked in URLs and in messages that
 * quote them (a route-not-found message does).
 */
const SECRET_SEGMENTS = [
  // Every check-in link: /checkin/<token>/paid
  /(\/checkin\/)[^/?#\s]+/g,
  // The verification link, but the resend route beside it
  /(\/auth\/verify-email\/)(?!resend(?:[/?#\s]|$))[^/?#\s]+/g,
  // The client's page and its forms: /client/<token>/…
  /(\/client\/)[^/?#\s]+/g,
]

/**
 * Query strings: a token some client put there (`?access_token=`, the
 * inbound webhook's `recipient=reply+<token>@…`) must not reach the logs.
 */
const QUERY_STRING = /(\/[^\s?#]*)\?[^\s#]*/g

export function maskSecretPaths(text: string): string {
  return SECRET_SEGMENTS.reduce(
    (masked, segment) => masked.replace(segment, '$1[token]'),
    text.replace(QUERY_STRING, '$1?[query]')
  )
}
