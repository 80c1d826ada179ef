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
| app's own work, which that ratio shows.
|
| On SIGUSR1 it processes the stored rows as the app's design does
| (app/services/inbound/inbound_processing.ts), without the framework: their
| jobs added to a bare BullMQ queue and consumed by a bare Worker at the same
| concurrency; per message one transaction issuing the app's statements in
| the app's order (the row locked; the relance email; user, client and
| invoices locked FOR NO KEY UPDATE; the earlier same Message-ID; the
| client's notified replies; per pending invoice the hold, the waiting
| check-in cancelled and the client_replied check-in inserted; the activity
| event; the webhook subscribers with the invoice's JSON; the row
| processed), the message read and classified by the app's own framework-free
| modules (app/inbound), the check-in's job enqueued after commit with its
| token encrypted by the app's cipher. Only replies to pending invoices with
| no hold: anything else fails loudly rather than do less than the app.
|
|   bare_inbound.ts <domain> <concurrency>     (DB_*, REDIS_*, QUEUE_PREFIX, APP_KEY from the environment)
|
| Prints READY {"port"}, then PROCESSED {"count"} once a processing pass ends.
*/
import { createHash, randomBytes } from 'node:crypto'
import { SMTPServer } from 'smtp-server'
import { simpleParser } from 'mailparser'
import { Queue, Worker } from 'bullmq'
import { aes256gcm } from '@boringnode/encryption/drivers/aes_256_gcm'
import { readInboundMail } from '#inbound/inbound_mail'
import { classifyInboundMail } from '#inbound/classification'
import { excerptOf, safeLine } from '#inbound/reply_text'
import { rawPool, rawRedis } from './raw_connections.js'
import { inTransaction } from './transaction.js'
import { insertSignalCheckin } from './signal_checkin.js'
import { WEBHOOK_SUBSCRIBERS_SQL } from '#services/webhooks/webhook_subscribers_sql'

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

const env = process.env
const cipher = aes256gcm({ id: 'gcm', keys: [env.APP_KEY!] }).driver(env.APP_KEY!)
/** REPLY_EMAILS_PER_CLIENT_PER_DAY, CLIENT_SIGNAL_HOLD_DAYS, CHECKIN_PAST_DUE_DELAY_MS */
const REPLY_EMAILS_PER_CLIENT_PER_DAY = 5
const HOLD_MS = Number(env.CLIENT_SIGNAL_HOLD_DAYS ?? 7) * 86_400_000
const CHECKIN_DELAY_MS = Number(env.CHECKIN_PAST_DUE_DELAY_MS)
// Queues of their own names under the bench's prefix (removed with it): the app's worker never takes their jobs
const checkinQueue = new Queue('raw-checkins', {
  prefix: env.QUEUE_PREFIX,
  connection: rawRedis(null),
})

const workers: { close(): Promise<void> }[] = []

type CheckinJob = { taskId: number; invoiceId: number; plainToken: string; at: number }

async function processSameDesign(id: number) {
  const jobs: CheckinJob[] = []
  await inTransaction(pool, async (client) => {
    const {
      rows: [row],
    } = await client.query(
      'select "id", "recipient", "raw", "relance_email_id" from "inbound_messages" where "id" = $1 and "processed_at" is null and "failed_at" is null limit $2 for update',
      [id, 1]
    )
    if (!row) return
    const mail = await readInboundMail(row.raw)
    const classification = classifyInboundMail(
      mail,
      row.recipient.startsWith('bounce+') ? 'bounce' : 'reply'
    )
    if (classification.kind !== 'reply') throw new Error(`message ${id}: not a reply`)
    const one = async (sql: string, values: unknown[]) => {
      const { rows } = await client.query(sql, values)
      return rows
    }
    const [email] = await one('select * from "relance_emails" where "id" = $1 limit $2', [
      row.relance_email_id,
      1,
    ])
    const [user] = await one('select * from "users" where "id" = $1 limit $2 for no key update', [
      email.user_id,
      1,
    ])
    const [customer] = await one(
      'select * from "clients" where "id" = $1 limit $2 for no key update',
      [email.client_id, 1]
    )
    const invoices = await one(
      'select * from "invoices" where "id" in (select "invoice_id" from "relances" where "email_id" = $1) order by "id" asc for no key update',
      [email.id]
    )
    if (!user || !customer) throw new Error(`message ${id}: no user or client`)
    const messageId = mail.messageId ? safeLine(mail.messageId, 300) : null
    if (messageId) {
      const earlier = await one(
        `select "id" from "inbound_messages" where "relance_email_id" = $1 and not "id" = $2 and "processed_at" is not null and summary->>'messageId' = $3 and summary->>'duplicateOf' IS NULL limit $4`,
        [email.id, id, messageId, 1]
      )
      if (earlier.length > 0) throw new Error(`message ${id}: a duplicate`)
    }
    const [{ total }] = await one(
      `select count(*) as "total" from "inbound_messages" inner join "relance_emails" on "relance_emails"."id" = "inbound_messages"."relance_email_id" where "relance_emails"."client_id" = $1 and "inbound_messages"."received_at" > $2 and inbound_messages.summary->>'notified' = 'true'`,
      [email.client_id, new Date(Date.now() - 86_400_000)]
    )
    const notify = Number(total) < REPLY_EMAILS_PER_CLIENT_PER_DAY
    const excerpt = excerptOf(classification.text)
    const now = new Date()
    const until = new Date(now.getTime() + HOLD_MS)
    for (const invoice of invoices) {
      if (invoice.status !== 'pending' || invoice.hold_reason) {
        throw new Error(`message ${id}: an invoice settled or held, not handled here`)
      }
      await client.query(
        'update "invoices" set "updated_at" = $1, "hold_reason" = $2, "hold_until" = $3, "held_at" = $4, "hold_note" = $5 where "id" = $6',
        [now, 'client_replied', until, now, excerpt, invoice.id]
      )
      if (!notify) continue
      await client.query(
        `WITH cancelled_0 AS (UPDATE checkin_tasks SET status = 'cancelled', updated_at = $1
         WHERE invoice_id = ANY($2::int[]) AND status = 'scheduled' RETURNING id)
         SELECT 0 AS kind, id FROM cancelled_0`,
        [now, [invoice.id]]
      )
      const plainToken = randomBytes(32).toString('base64url')
      const reply = {
        messageId: id,
        from: mail.from?.address ?? '',
        date: mail.date?.toISOString() ?? null,
        subject: safeLine(mail.subject, 300),
        text: classification.text,
        truncated: classification.truncated,
        attachments: [],
      }
      const task = await insertSignalCheckin(client, now, {
        invoiceId: invoice.id,
        tokenHash: createHash('sha256').update(plainToken).digest('hex'),
        reason: 'client_replied',
        signal: { note: excerpt, reply },
        expiresAt: until,
        scheduledMs: Date.now() + CHECKIN_DELAY_MS,
      })
      jobs.push({
        taskId: task.id,
        invoiceId: invoice.id,
        plainToken,
        at: task.scheduled_at.getTime(),
      })
    }
    for (const invoice of invoices) {
      await client.query(
        'insert into "activity_events" ("created_at", "invoice_id", "label", "metadata", "type", "user_id") values ($1, $2, $3, $4, $5, $6) returning "id"',
        [
          now,
          invoice.id,
          `${customer.name} replied about invoice ${invoice.number}: relances wait for your answer`,
          JSON.stringify({ excerpt, inboundMessageId: id }),
          'client_replied',
          invoice.user_id,
        ]
      )
    }
    const subscribed = await one(WEBHOOK_SUBSCRIBERS_SQL, [
      ['client.replied'],
      invoices.map((invoice) => invoice.id),
    ])
    if (subscribed.length > 0) throw new Error(`message ${id}: webhooks, not handled here`)
    await client.query(
      'update "inbound_messages" set "kind" = $1, "summary" = $2, "processed_at" = $3, "updated_at" = $4 where "id" = $5',
      [
        classification.kind,
        JSON.stringify({
          messageId,
          from: mail.from?.address ?? null,
          subject: safeLine(mail.subject, 300),
          date: mail.date?.toISOString() ?? null,
          excerpt,
          outcome: `held invoice(s) ${invoices.map((invoice) => invoice.id).join(', ')}`,
          notified: notify && invoices.length > 0,
        }),
        now,
        now,
        id,
      ]
    )
  })
  // After commit, as enqueueAfterCommit
  if (jobs.length > 0) {
    await checkinQueue.addBulk(
      jobs.map((job) => ({
        name: 'send-checkin',
        data: {
          taskId: job.taskId,
          invoiceId: job.invoiceId,
          encryptedToken: cipher.encrypt(job.plainToken),
        },
        opts: { jobId: `checkin-${job.taskId}`, delay: Math.max(0, job.at - Date.now()) },
      }))
    )
  }
}

process.on('SIGUSR1', async () => {
  const connection = rawRedis(null)
  const queue = new Queue('raw-inbound', { prefix: env.QUEUE_PREFIX, connection })
  const { rows } = await pool.query(
    'SELECT id FROM inbound_messages WHERE processed_at IS NULL ORDER BY id'
  )
  let left = rows.length
  const worker = new Worker(
    'raw-inbound',
    async (job) => {
      await processSameDesign(job.data.messageId)
      if (--left === 0) console.log(`PROCESSED ${JSON.stringify({ count: rows.length })}`)
    },
    { prefix: env.QUEUE_PREFIX, connection, concurrency }
  )
  worker.on('failed', (job, error) => console.error(`job ${job?.id} failed: ${error.message}`))
  workers.push(worker, queue)
  await queue.addBulk(
    rows.map((row) => ({
      name: 'process-inbound-message',
      data: { messageId: row.id },
      opts: { jobId: `inbound-${row.id}` },
    }))
  )
})

process.on('SIGTERM', () => {
  Promise.all([...workers, checkinQueue].map((closable) => closable.close())).finally(() =>
    server.close(() => pool.end().then(() => process.exit(0)))
  )
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address() as { port: number }
  console.log(`READY ${JSON.stringify({ port })}`)
})
