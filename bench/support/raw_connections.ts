/*
| What the framework-free baseline processes (baseline_server.ts,
| raw_worker.ts, baseline_mailer.ts) connect with, read from the
| environment the bench gives every process (DB_*, REDIS_*): a pg pool of
| Lucid's default size, ioredis options, and pooled nodemailer with
| Nagle's algorithm off, as config/mail.ts sends.
*/
import net from 'node:net'
import nodemailer from 'nodemailer'
import pg from 'pg'

const env = process.env

export function rawPool() {
  return new pg.Pool({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASSWORD || undefined,
    database: env.DB_DATABASE,
    max: 10,
  })
}

/** ioredis options; `maxRetriesPerRequest: null` for a BullMQ worker. */
export function rawRedis(maxRetriesPerRequest: number | null) {
  return {
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
    password: env.REDIS_PASSWORD || undefined,
    maxRetriesPerRequest,
  }
}

/** Pooled SMTP to a local server, `maxConnections` sessions, no delayed ACK waits. */
export function rawTransport(port: number, maxConnections: number) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections,
    getSocket(_options, callback) {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
      socket.once('connect', () => callback(null, { connection: socket }))
    },
  })
}

/** knex-style `?` bindings as pg's `$1, $2…`: the app's SQL text, run by pg alone. */
export function numberedPlaceholders(sql: string) {
  let index = 0
  return sql.replaceAll('?', () => `$${++index}`)
}
