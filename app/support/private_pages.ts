import type { HttpContext } from '@adonisjs/core/http'

/**
 * What every answer to a secret link carries (check-in, email verification,
 * a client's page): never cached, never sent on as a Referer, never indexed.
 */
export function keepLinkPrivate(response: HttpContext['response']) {
  response
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Robots-Tag', 'noindex')
}

export type PagePolicy = {
  /**
   * Origins a form's redirect lands on besides the API: browsers (Chromium at
   * least) apply form-action to the redirect that follows the POST too.
   */
  formRedirectsTo?: string[]
  /** Inline `data:` images (a QR code). */
  dataImages?: boolean
}

/**
 * A page at a secret link runs no script, loads nothing from elsewhere, may
 * only post to the API itself and cannot be framed to trick a click.
 */
export function pageSecurityPolicy({ formRedirectsTo = [], dataImages = false }: PagePolicy = {}) {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    ...(dataImages ? ['img-src data:'] : []),
    ['form-action', "'self'", ...formRedirectsTo].join(' '),
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Renders an Edge template of `resources/views/pages` as the answer to a
 * secret link, with the headers above and the page's policy.
 */
export function renderPrivatePage(
  { response, view }: HttpContext,
  template: string,
  state: Record<string, unknown>,
  policy: PagePolicy = {}
) {
  keepLinkPrivate(response)
  response
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', pageSecurityPolicy(policy))
  return view.render(`pages/${template}`, state)
}
