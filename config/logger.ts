import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, destination, targets } from '@adonisjs/core/logger'

const loggerConfig = defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'relance',
      level: env.get('LOG_LEVEL'),
      // Production: JSON lines to stdout written by the process itself, as pino does by
      // default; a transport target would run them through a thread of their own, a second
      // V8 isolate (~20 MB of RSS) in every process, the worker's included
      ...(app.inProduction
        ? { destination: destination({ dest: 1, sync: true }) }
        : { transport: { targets: targets().push(targets.pretty()).toArray() } }),
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
