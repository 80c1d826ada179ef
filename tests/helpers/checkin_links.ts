import env from '#start/env'

/** The tokens of every check-in link of this kind in an email's text, in order. */
export function checkinTokensIn(text: string, kind: 'paid' | 'pending' = 'paid'): string[] {
  const links = new RegExp(`/api/v1/checkin/([A-Za-z0-9_-]{43})/${kind}`, 'g')
  return [...text.matchAll(links)].map((match) => match[1])
}

/** The token of the first paid link in a check-in email's text. */
export function checkinTokenFromText(text: string): string {
  const [token] = checkinTokensIn(text)
  if (!token) throw new Error('No check-in link in this text')
  return token
}

/** Where a check-in link redirects: the SPA's page for that outcome. */
export function checkinPage(
  outcome: 'paid' | 'pending' | 'already_answered' | 'expired' | 'invalid'
): string {
  return `${env.get('WEB_URL')}/checkin/${outcome}`
}
