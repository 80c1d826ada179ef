/*
| The inbound baseline: what the receiver and the worker do for a reply,
| without the framework. A bare smtp-server on a free port that, for a
| message to a reply+<token>@ address, looks the token's hash up in
| relance_emails at RCPT TO (as the receiver does), reads the message,
| INSERTs the same inbound_messages row and only then answers 250. On
| SIGUSR2 it processes every stored row as the worker's transaction would
| start and end: the row locked, parsed with mailparser (the app's options),
| UPDATEd with a kind, a summary and processed_at, `concurrency` at a time.
| No classification, no holds, check-ins, events or webhooks: those are the
| app's own work, which the ratio shows.
|
|   bare_inbound.ts <domain> <concurrency>     (DB_* from the environment)
|
| Prints READY {"port"}, then PROCESSED {"count"} once a processing pass ends.
*/
import { createHash } from 'node:crypto'
import { SMTPServer } from 'smtp-server'
import { simpleParser } from 'mailparser'
import { rawPool } from './raw_connections.js'
import { inTransaction } from './transaction.js'

const [domain, concurrencyArgument] = process.argv.slice(2)
const concurrency = Number(concurrencyArgument)
const pool = rawPool()
const LOCAL_PART = /^(reply|bounce)\+([a-z2-7]{32})$/

async function emailOf(address: string): Promise<number | null> {
  const [local, host] = address.toLowerCase().split('@')
  const match = LOCAL_PART.exec(local)
  if (!match || host !== domain) return null
  const hash = createHash('sha256').update(match[2]).digest('hex')
  const { rows } = await pool.query('SELECT id FROM relance_emails WHERE reply_token_hash = $1', [
    hash,
  ])
  return rows[0]?.id ?? null
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  size: 10 * 1024 * 1024,
  logger: false,
  onRcptTo(address, _session, callback) {
    emailOf(address.address).then(
      (id) =>
        callback(
          id === null
            ? Object.assign(new Error('No such recipient'), { responseCode: 550 })
            : undefined
        ),
      callback
    )
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', async () => {
      try {
        const raw = Buffer.concat(chunks)
        const now = new Date()
        for (const recipient of session.envelope.rcptTo) {
          await pool.query(
            `INSERT INTO inbound_messages (received_at, source, recipient, envelope_from, relance_email_id, raw, created_at, updated_at)
             VALUES ($1, 'smtp', $2, $3, $4, $5, $1, $1)`,
            [
              now,
              recipient.address.toLowerCase(),
              session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              await emailOf(recipient.address),
              raw,
            ]
          )
        }
        callback()
      } catch (error) {
        callback(error as Error)
      }
    })
  },
})

async function processOne(id: number) {
  await inTransaction(pool, async (client) => {
    const { rows } = await client.query(
      'SELECT id, raw FROM inbound_messages WHERE id = $1 AND processed_at IS NULL FOR UPDATE',
      [id]
    )
    if (!rows[0]) return
    const mail = await simpleParser(rows[0].raw, {
      keepDeliveryStatus: true,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      checksumAlgo: false,
    })
    await client.query(
      `UPDATE inbound_messages SET kind = 'reply', summary = $2, processed_at = now(), updated_at = now() WHERE id = $1`,
      [
        id,
        JSON.stringify({ messageId: mail.messageId, subject: mail.subject, from: mail.from?.text }),
      ]
    )
  })
}

process.on('SIGUSR2', async () => {
  const { rows } = await pool.query(
    'SELECT id FROM inbound_messages WHERE processed_at IS NULL ORDER BY id'
  )
  const ids = rows.map((row) => row.id as number)
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) await processOne(id)
    })
  )
  console.log(`PROCESSED ${JSON.stringify({ count: rows.length })}`)
})

process.on('SIGTERM', () => {
  server.close(() => pool.end().then(() => process.exit(0)))
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address() as { port: number }
  console.log(`READY ${JSON.stringify({ port })}`)
})
