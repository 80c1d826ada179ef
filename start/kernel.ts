import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

server.use([
  () => import('#middleware/request_log_middleware'),
  () => import('#middleware/request_metrics_middleware'),
  () => import('#middleware/security_headers_middleware'),
  // Before the router: preflight OPTIONS requests match no route
  () => import('@adonisjs/cors/cors_middleware'),
  () => import('#middleware/force_json_response_middleware'),
  () => import('#middleware/container_bindings_middleware'),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('#middleware/json_body_middleware'),
  () => import('#middleware/multipart_middleware'),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
])

export const middleware = router.named({
  auth: () => import('#middleware/auth_middleware'),
})
