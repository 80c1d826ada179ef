/*
|--------------------------------------------------------------------------
| HTTP server entrypoint
|--------------------------------------------------------------------------
|
| The "server.ts" file is the entrypoint for starting the AdonisJS HTTP
| server. Either you can run this file directly or use the "serve"
| command to run this file and monitor file changes
|
*/

import type { ApplicationService } from '@adonisjs/core/types'

await import('reflect-metadata')
const { Ignitor, prettyPrintError } = await import('@adonisjs/core')

/**
 * URL to the application root. AdonisJS need it to resolve
 * paths to file and directories for scaffolding commands
 */
const APP_ROOT = new URL('../', import.meta.url)

/**
 * The importer is used to import files in context of the
 * application.
 */
const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

/**
 * The HTTP server drains on stop: open connections end after their current
 * request, and the process exits even while clients keep them busy. The app
 * (its database pool, Redis) is terminated once no request is in hand, and
 * the process exits after STOP_MS whatever still holds it.
 */
const { drainableServer, STOP_MS } = await import('#support/http_drain')
let drain = async () => {}
const stop = async (app: ApplicationService) => {
  const logger = await app.container.make('logger')
  setTimeout(() => {
    logger.error(`still stopping after ${STOP_MS} ms: exiting`)
    process.exit(1)
  }, STOP_MS).unref()
  await drain()
  return app.terminate()
}

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.listen('SIGTERM', () => stop(app))
    app.listenIf(app.managedByPm2, 'SIGINT', () => stop(app))
  })
  .httpServer()
  .start((handler) => {
    const drainable = drainableServer(handler)
    drain = drainable.drain
    return drainable.server
  })
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
