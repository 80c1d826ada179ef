import net from 'node:net'
import env from '#start/env'
import { defineConfig, transports } from '@adonisjs/mail'

const CONNECTION_TIMEOUT_MS = 10_000

const username = env.get('SMTP_USERNAME')

/**
 * SMTP sockets without Nagle's algorithm. nodemailer writes the end of an
 * email's data apart from its body; with Nagle that last write waits for the
 * server's delayed ACK, about 40 ms per email (bench/README.md,
 * worker_throughput). Passed through to nodemailer, whose option it is.
 * The socket handed over is plain TCP: nodemailer wraps it in TLS itself,
 * at once with `secure` or on STARTTLS, checking the certificate.
 */
const noDelaySockets = {
  getSocket(
    options: { host?: string; port?: number | string },
    callback: (error: Error | null, socketOptions?: { connection: net.Socket }) => void
  ) {
    const socket = net.connect({ host: options.host, port: Number(options.port), noDelay: true })
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      socket.destroy()
      callback(error)
    }
    // nodemailer's connectionTimeout does not cover a socket handed to it
    const timer = setTimeout(
      () => fail(new Error('SMTP connection timed out')),
      CONNECTION_TIMEOUT_MS
    )
    socket.once('error', fail)
    socket.once('connect', () => {
      settled = true
      clearTimeout(timer)
      socket.off('error', fail)
      callback(null, { connection: socket })
    })
  },
}

const mailConfig = defineConfig({
  default: 'smtp',
  from: {
    address: env.get('MAIL_FROM_ADDRESS'),
    name: env.get('MAIL_FROM_NAME'),
  },
  mailers: {
    smtp: transports.smtp({
      host: env.get('SMTP_HOST'),
      port: env.get('SMTP_PORT'),
      // Certificates are checked against Node's CAs, plus NODE_EXTRA_CA_CERTS
      secure: env.get('SMTP_SECURE', false),
      requireTLS: env.get('SMTP_REQUIRE_TLS', false),
      auth: username
        ? { type: 'login', user: username, pass: env.get('SMTP_PASSWORD', '') }
        : undefined,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
      // One SMTP session serves many emails: no connect, EHLO and QUIT per email
      pool: true,
      maxConnections: 10,
      ...noDelaySockets,
    }),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
