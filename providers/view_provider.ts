import edge from 'edge.js'
import { HttpContext } from '@adonisjs/core/http'

/**
 * A template without the indentation of its lines, applied once when Edge
 * compiles it (the compiled template is cached in production): the pages go
 * out without the templates' indentation, which HTML ignores. On the
 * client's page that was a quarter of its characters (38,554 to 28,565 with
 * 9 invoices), each one built, flattened, measured and encoded on every
 * request. Nothing the templates hold depends on it: no <pre>, and a
 * <textarea>'s value starts on its tag's line; interpolated values (a QR
 * code's SVG, the payment instructions) keep theirs.
 */
function withoutIndentation(template: string) {
  return template.replace(/^[ \t]+/gm, '')
}

/**
 * `ctx.view` without a listing of resources/views/components per request.
 * The Edge provider's getter makes each request's renderer with
 * edge.createRenderer(), which runs Edge's "supercharged components"
 * plugin: the default Edge instance is created without the cache option, so
 * the plugin stays recurring after the provider turns the cache on, and
 * lists the components directory from disk (existsSync, recursive readdirSync)
 * on every call. initialize_auth touches `ctx.view` on every request, the
 * API's included. Here one renderer made at boot, once the Edge provider has
 * set Edge up, is cloned per request, with the request shared as the
 * provider does. The pages name their components by path
 * (`@!component('components/…')`); a component file added while the server
 * runs would become a tag at its next start.
 */
export default class ViewProvider {
  async boot() {
    // Every page, the client page's error pages rendered by `edge` itself included
    edge.processor.process('raw', ({ raw }) => withoutIndentation(raw))
    const booted = edge.createRenderer()
    HttpContext.getter(
      'view',
      function (this: HttpContext) {
        return booted.clone().share({ request: this.request })
      },
      true
    )
  }
}
