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
