import type { HttpContext } from '@adonisjs/core/http'
import { renderPrivatePage } from '#support/private_pages'
import { CLIENT_PAGE_ERRORS } from '#services/client_page/client_page_texts'

/** Requests of the client's page answer HTML, errors included: the API's JSON is for the SPA. */
export function isClientPageRequest(ctx: Pick<HttpContext, 'request'>) {
  return /^\/client(\/|$)/.test(ctx.request.url())
}

/**
 * The page a client sees for a link that does not work (404), too many
 * requests (429), a request that cannot be read (400, 413), or a failure:
 * in both languages, since the link's client is not known.
 */
export function renderClientPageError(ctx: HttpContext, status: number) {
  const texts =
    CLIENT_PAGE_ERRORS[status] ??
    (status >= 500 ? CLIENT_PAGE_ERRORS[500] : CLIENT_PAGE_ERRORS[400])
  ctx.response.status(status)
  return renderPrivatePage(ctx, 'client_page_error', { texts }, { dataImages: true })
}
