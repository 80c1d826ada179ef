import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [() => import('@adonisjs/core/commands'), () => import('@adonisjs/lucid/commands')],

  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/core/providers/vinejs_provider'),
    {
      // Pages only (the emails are classes): the worker and the commands never load edge.js
      file: () => import('@adonisjs/core/providers/edge_provider'),
      environment: ['web', 'test', 'repl'],
    },
    {
      // After the Edge provider, whose `ctx.view` it replaces
      file: () => import('#providers/view_provider'),
      environment: ['web', 'test', 'repl'],
    },
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/redis/redis_provider'),
    () => import('@adonisjs/limiter/limiter_provider'),
    () => import('@adonisjs/mail/mail_provider'),
    () => import('@adonisjs/cors/cors_provider'),
    () => import('@adonisjs/drive/drive_provider'),
    () => import('#providers/api_provider'),
    () => import('#providers/queue_provider'),
  ],

  preloads: [
    () => import('#start/routes'),
    () => import('#start/kernel'),
    () => import('#start/queue'),
    () => import('#start/production_warnings'),
  ],

  tests: {
    suites: [
      {
        files: ['tests/unit/**/*.spec.ts'],
        name: 'unit',
        timeout: 10_000,
      },
      {
        files: ['tests/functional/**/*.spec.ts'],
        name: 'functional',
        timeout: 30_000,
      },
      {
        files: ['tests/e2e/**/*.spec.ts'],
        name: 'e2e',
        timeout: 90_000,
      },
      {
        // Run by `npm run test:scale`, not `npm test`: each test starts its own
        // Redis Cluster, Sentinel, TLS Redis or PgBouncer
        files: ['tests/scale/**/*.spec.ts'],
        name: 'scale',
        timeout: 300_000,
      },
    ],
    forceExit: false,
  },

  // Copied into the build: the pages are read at run time
  metaFiles: [{ pattern: 'resources/views/**/*.edge', reloadServer: false }],
})
