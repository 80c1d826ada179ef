import env from '#start/env'

/**
 * The absolute link to the client's page of a relance email. Its token is a
 * link token (32 random bytes, base64url) of which only the SHA-256 is kept,
 * on the email's `relance_emails` row.
 */
export function clientPageUrl(plainToken: string) {
  return `${env.get('APP_URL').replace(/\/+$/, '')}/client/${plainToken}`
}

/** What the preview shows in place of a link made only when the email leaves. */
export const PREVIEW_PAGE_URL = clientPageUrl('<token>')
