import edge from 'edge.js'
import { HttpContext } from '@adonisjs/core/http'

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
