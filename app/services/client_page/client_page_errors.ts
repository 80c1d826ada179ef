import type { ServerResponse } from 'node:http'
import type { HttpContext } from '@adonisjs/core/http'
import edge from 'edge.js'
import { pageSecurityPolicy, renderPrivatePage } from '#support/private_pages'
import { CLIENT_PAGE_ERRORS } from '#services/client_page/client_page_texts'

/** Requests of the client's page answer HTML, errors included: the API's JSON is for the SPA. */
export function isClientPageRequest(ctx: Pick<HttpContext, 'request'>) {
  return isClientPagePath(ctx.request.url())
}

export function isClientPagePath(path: string) {
  return /^\/client(\/|$|\?)/.test(path)
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

/**
 * The same page for a request that never reached the router (a path that
 * does not decode): written on the raw Node response, with the headers
 * renderPrivatePage sets.
 */
export async function writeUnreadableUrlPage(response: ServerResponse) {
  const html = await edge.render('pages/client_page_error', { texts: CLIENT_PAGE_ERRORS[400] })
  response.writeHead(400, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': pageSecurityPolicy(),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex',
    'X-Content-Type-Options': 'nosniff',
  })
  response.end(html)
}
