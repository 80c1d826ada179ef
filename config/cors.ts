import env from '#start/env'
import { defineConfig } from '@adonisjs/cors'

/**
 * The SPA (WEB_URL) and the origins of CORS_ORIGINS call the API from the
 * browser with a bearer token: no cookies, so no credentials. Any other
 * origin gets no Access-Control-Allow-Origin.
 */
const corsConfig = defineConfig({
  enabled: true,
  origin: [...new Set([new URL(env.get('WEB_URL')).origin, ...env.get('CORS_ORIGINS')])],
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  headers: ['Authorization', 'Content-Type'],
  exposeHeaders: [],
  credentials: false,
  // Browsers cap it (Chromium at 2 hours): one preflight per route and tab for that long
  maxAge: 7200,
})

export default corsConfig
