/*
| 7. Inbound mail: replies per second the built receiver (`node build/ace.js
| inbound:serve`) accepts over SMTP, each stored in PostgreSQL before its 250,
| and per second the built worker then processes (classified, quote stripped,
| the invoice held, its check-in and event written), against a bare
| smtp-server + mailparser process storing the same rows, which then
| processes them as the app's design does, without the framework (the goal's
| baseline), and, for context, with a bare parse and UPDATE
| (bench/support/bare_inbound.ts), in the same run.
*/
import { createHash } from 'node:crypto'
import nodemailer from 'nodemailer'
import { AppProcess, freePort } from '#tests/helpers/app_processes'
import { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'
import { generateReplyToken, inboundAddress } from '#inbound/inbound_addresses'
import { sampleReply } from '#inbound/sample_messages'
import { analyze, seedInvoices, seedRelances, seedUsers } from './support/seed.js'
import { BenchChild, cpuSeconds, sampleRss, startWorker } from './support/processes.js'
import { describeProfile, placeShare, profileFolder } from './support/cpu_profile.js'
import { round, verdict, type Benchmark, type Measure } from './support/report.js'
import type { BenchResources } from './support/environment.js'

const DOMAIN = 'inbound.bench.test'
const MESSAGES = 600
/** SMTP sessions sending at once, as several mail servers would. */
const CONNECTIONS = 10
const WORKER_CONCURRENCY = 10
const PROFILED_MESSAGES = 200

type Reply = { envelope: { from: string; to: string }; raw: string }

/**
 * `count` relance emails, one per pending invoice (its relance `sent` and
 * pointing to it), each with its reply token; and the reply each client sends.
 */
async function seedReplies(
  resources: BenchResources,
  tag: string,
  count: number
): Promise<Reply[]> {
  const { pool } = resources
  const userIds = await seedUsers(pool, tag, Math.ceil(count / 10))
  const invoices = await seedInvoices(pool, { tag, userIds, count, clientsPerUser: 10 })
  await seedRelances(
    pool,
    invoices.map((invoice) => invoice.id)
  )
  const tokens = invoices.map(() => generateReplyToken())
  const { rows } = await pool.query(
    `WITH email AS (
       INSERT INTO relance_emails (user_id, client_id, link_token_hash, reply_token_hash, sent_at, created_at)
       SELECT i.user_id, i.client_id, md5(random()::text) || md5(random()::text), t.hash, now(), now()
         FROM unnest($1::int[], $2::text[]) AS t(invoice_id, hash)
         JOIN invoices i ON i.id = t.invoice_id
       RETURNING id, reply_token_hash
     )
     UPDATE relances r SET status = 'sent', sent_at = now(), email_id = email.id
       FROM email, unnest($1::int[], $2::text[]) AS t(invoice_id, hash)
      WHERE email.reply_token_hash = t.hash AND r.invoice_id = t.invoice_id AND r.sequence = 1
     RETURNING r.invoice_id, (SELECT c.email FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = r.invoice_id) AS client_email`,
    [
      invoices.map((invoice) => invoice.id),
      tokens.map((token) => createHash('sha256').update(token).digest('hex')),
    ]
  )
  const clientOf = new Map(
    rows.map((row) => [row.invoice_id as number, row.client_email as string])
  )
  await analyze(pool)
  return invoices.map((invoice, index) =>
    sampleReply({
      from: clientOf.get(invoice.id)!,
      to: inboundAddress('reply', tokens[index], DOMAIN),
      text: `Hello,\n\nWe paid invoice ${invoice.id} by transfer yesterday; the reference is ${1000 + index}.\n\nRegards`,
    })
  )
}

/** Sends every reply over CONNECTIONS pooled sessions; messages per second until the last 250. */
async function sendAll(port: number, replies: Reply[]) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    ignoreTLS: true,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Infinity,
  })
  const started = performance.now()
  try {
    await Promise.all(replies.map((reply) => transport.sendMail(reply)))
  } finally {
    transport.close()
  }
  return (replies.length * 1000) / (performance.now() - started)
}

/**
 * Waits until every stored row is processed; messages per second from
 * `started`, and over the span of their processed_at (first to last, so
 * without the worker's boot).
 */
async function processedRate(resources: BenchResources, started: number, count: number) {
  await waitFor(
    `${count} inbound messages processed`,
    async () => {
      const { rows } = await resources.pool.query(
        'SELECT count(*)::int AS n FROM inbound_messages WHERE processed_at IS NOT NULL'
      )
      return rows[0].n >= count
    },
    { timeoutMs: 300_000, intervalMs: 50 }
  )
  const fromStart = (count * 1000) / (performance.now() - started)
  const {
    rows: [span],
  } = await resources.pool.query(
    `SELECT count(*)::int AS n,
            extract(epoch FROM max(processed_at) - min(processed_at)) * 1000 AS ms
       FROM inbound_messages WHERE processed_at IS NOT NULL`
  )
  return { fromStart, steady: ((span.n - 1) * 1000) / Number(span.ms) }
}

const inbound: Benchmark = {
  name: 'inbound',
  title: 'Inbound mail: replies accepted and processed per second',
  async run({ resources, defer, log }) {
    // The worker's check-ins and notices go here (after the measure: they wait a minute)
    const sink = await SmtpInbox.start()
    defer(() => sink.close())
    const env = {
      INBOUND_DOMAIN: DOMAIN,
      INBOUND_SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      LOG_LEVEL: 'warn',
    }

    log(`baseline: bare smtp-server + mailparser, ${MESSAGES} replies`)
    const baseReplies = await seedReplies(resources, 'inb-base', MESSAGES)
    const bare = new BenchChild(
      'bare_inbound.ts',
      [DOMAIN, String(WORKER_CONCURRENCY)],
      resources.env
    )
    defer(() => bare.stop())
    const { port: barePort } = await bare.ready<{ port: number }>()
    const bareCpu = await cpuSeconds(bare.pid)
    const bareAccepted = await sendAll(barePort, baseReplies)
    const bareCpuAccept = (await cpuSeconds(bare.pid))! - bareCpu!
    let started = performance.now()
    const bareCpuBefore = await cpuSeconds(bare.pid)
    process.kill(bare.pid, 'SIGUSR2')
    const bareProcessed = await processedRate(resources, started, MESSAGES)
    const bareCpuProcess = (await cpuSeconds(bare.pid))! - bareCpuBefore!

    log(
      `same design: the same rows processed again by a bare BullMQ worker with the app's statements`
    )
    await resources.pool.query(
      'UPDATE inbound_messages SET processed_at = NULL, kind = NULL, summary = NULL'
    )
    started = performance.now()
    const rawCpuBefore = await cpuSeconds(bare.pid)
    process.kill(bare.pid, 'SIGUSR1')
    const rawProcessed = await processedRate(resources, started, MESSAGES)
    const rawCpuProcess = (await cpuSeconds(bare.pid))! - rawCpuBefore!
    const { rows: rawHeld } = await resources.pool.query(
      "SELECT count(*)::int AS n FROM invoices WHERE hold_reason = 'client_replied'"
    )
    if (rawHeld[0].n !== MESSAGES)
      throw new Error(`the same-design pass held ${rawHeld[0].n} invoices of ${MESSAGES}`)
    await bare.stop()
    await resources.pool.query('TRUNCATE inbound_messages')

    log(`app: the built receiver, then the built worker, ${MESSAGES} replies`)
    const appReplies = await seedReplies(resources, 'inb-app', MESSAGES)
    const port = await freePort()
    const receiver = new AppProcess(
      'inbound',
      { ...resources.env, ...env, INBOUND_SMTP_PORT: String(port) },
      { code: 'build' }
    )
    defer(() => receiver.stop())
    await receiver.waitForOutput('inbound receiver listening', 60_000)
    const rss = sampleRss(receiver.pid, 20)
    const receiverCpu = await cpuSeconds(receiver.pid)
    const appAccepted = await sendAll(port, appReplies)
    const receiverCpuAccept = (await cpuSeconds(receiver.pid))! - receiverCpu!
    rss.stop()
    started = performance.now()
    const worker = await startWorker(resources, { concurrency: WORKER_CONCURRENCY, env })
    const workerCpuReady = (await cpuSeconds(worker.pid))!
    defer(() => worker.stop())
    const appProcessed = await processedRate(resources, started, MESSAGES)
    // From the moment it said it consumes: its boot left out
    const workerCpuProcess = (await cpuSeconds(worker.pid))! - workerCpuReady
    const { rows: held } = await resources.pool.query(
      "SELECT count(*)::int AS n FROM invoices WHERE hold_reason = 'client_replied'"
    )
    await worker.stop()

    // A separate, shorter pass under the CPU profiler: not in the figures above
    log(`profile: the built worker processing ${PROFILED_MESSAGES} more replies`)
    await sendAll(port, await seedReplies(resources, 'inb-prof', PROFILED_MESSAGES))
    const profileDir = await profileFolder()
    const profiled = await startWorker(resources, {
      concurrency: WORKER_CONCURRENCY,
      env,
      nodeFlags: profileDir.nodeFlags,
    })
    defer(() => profiled.stop())
    await waitFor(
      `${PROFILED_MESSAGES} more inbound messages processed`,
      async () => {
        const { rows } = await resources.pool.query(
          'SELECT count(*)::int AS n FROM inbound_messages WHERE processed_at IS NOT NULL'
        )
        return rows[0].n >= MESSAGES + PROFILED_MESSAGES
      },
      { timeoutMs: 120_000, intervalMs: 50 }
    )
    await profiled.stop()
    const profile = await profileDir.summary()

    const cpuMs = (seconds: number) => round((seconds * 1000) / MESSAGES, 2)
    const measures: Measure[] = [
      {
        measure: `replies accepted (250 after commit), ${CONNECTIONS} SMTP sessions`,
        unit: 'msg/s',
        value: round(appAccepted, 1),
        baseline: round(bareAccepted, 1),
        goal: '≥ 50% of baseline',
        verdict: verdict(appAccepted >= 0.5 * bareAccepted),
      },
      {
        measure: 'receiver CPU per message accepted',
        unit: 'ms',
        value: cpuMs(receiverCpuAccept),
        baseline: cpuMs(bareCpuAccept),
        verdict: 'info',
      },
      {
        measure: `replies processed, concurrency ${WORKER_CONCURRENCY}, vs the same design raw`,
        unit: 'msg/s',
        value: round(appProcessed.steady, 1),
        baseline: round(rawProcessed.steady, 1),
        goal: '≥ 50% of baseline',
        verdict: verdict(appProcessed.steady >= 0.5 * rawProcessed.steady),
      },
      {
        measure: 'CPU per message processed, vs the same design raw',
        unit: 'ms',
        value: cpuMs(workerCpuProcess),
        baseline: cpuMs(rawCpuProcess),
        verdict: 'info',
        note: "the app's worker from the moment it consumes",
      },
      {
        measure: 'replies processed, vs a bare parse-and-UPDATE (context)',
        unit: 'msg/s',
        value: round(appProcessed.steady, 1),
        baseline: round(bareProcessed.steady, 1),
        verdict: 'info',
      },
      {
        measure: 'CPU per message processed, vs the bare parse (context)',
        unit: 'ms',
        value: cpuMs(workerCpuProcess),
        baseline: cpuMs(bareCpuProcess),
        verdict: 'info',
      },
      {
        measure: 'replies processed, worker start included',
        unit: 'msg/s',
        value: round(appProcessed.fromStart, 1),
        baseline: round(rawProcessed.fromStart, 1),
        verdict: 'info',
      },
      {
        measure: 'receiver RSS peak while accepting',
        unit: 'MB',
        value: round(rss.peak / 1024 / 1024, 0),
        baseline: null,
        verdict: 'info',
      },
    ]
    return {
      measures,
      method: [
        `${MESSAGES} replies (about 700 bytes, a quoted line included) to as many relance emails of pending invoices, seeded set-based; each side gets its own set.`,
        `Accepted: nodemailer with a pool of ${CONNECTIONS} connections sends them all at once; rate = messages / time until the last 250. The app's receiver looks the token up at RCPT TO, stores the row in a transaction and enqueues its job after commit; the baseline looks the token up and INSERTs the same row before its 250.`,
        `Processed: afterwards, the built worker (concurrency ${WORKER_CONCURRENCY}) drains queue \`inbound\`: per message one transaction that locks the row, parses it with mailparser, classifies it, strips the quoted history, locks user, client and invoices, holds the invoice, writes the client_replied check-in, event and webhook outbox rows, and marks the row processed. The same-design baseline (the goal's), signalled, adds the rows' jobs to a bare BullMQ queue consumed by a bare Worker at concurrency ${WORKER_CONCURRENCY}, each job the app's statements in the app's order in one transaction, the message read and classified by the app's own modules (app/inbound), the check-in's job enqueued after commit; it must hold all ${MESSAGES} invoices. The bare baseline (context), signalled first, parses each row with mailparser and UPDATEs it, ${WORKER_CONCURRENCY} at a time; the same rows are then reset for the same-design pass. Rate = (messages − 1) / the span of processed_at from the first row to the last on each side (the app's worker boot left out); the same with the time from the start (the worker's boot included) for the record.`,
      ],
      findings: [
        `${held[0].n} of ${MESSAGES} invoices held client_replied after the app's pass (one per reply, as expected).`,
        profile
          ? describeProfile(
              `the worker processing ${PROFILED_MESSAGES} replies (separate pass, \`--cpu-prof\`, boot included)`,
              profile
            )
          : 'No CPU profile was written by the profiled worker.',
        `The worker's rate follows its CPU: ${cpuMs(workerCpuProcess)} ms per message against ${cpuMs(rawCpuProcess)} ms for the same design raw and ${cpuMs(bareCpuProcess)} ms for the bare parse-and-UPDATE, on 2 cores shared with PostgreSQL and the receiver.` +
          (profile
            ? ` In the profile below (boot included, so module loading shows too): knex ${placeShare(profile, 'knex')}% and Lucid ${placeShare(profile, '@adonisjs/lucid')}% (the statements of the message's one transaction), bullmq ${placeShare(profile, 'bullmq')}% and ioredis ${placeShare(profile, 'ioredis')}%, pg ${placeShare(profile, 'pg')}%, against mailparser ${placeShare(profile, 'mailparser')}% and email-reply-parser ${placeShare(profile, 'email-reply-parser')}%: the cost is the domain work around the parse, not the parse.`
            : ''),
        'The processing ratio is the price of the domain work the baseline does not do (holds, check-ins, events, outbox, the locks that keep a reply from racing a send or a click); the acceptance ratio is that of the framework, the job enqueue and the after-commit step.',
        "Round trips to PostgreSQL per reply (counted with a statement log on the profiled pass): 15 when the freelancer is notified, 13 when the client's daily quota of notified replies is used, against the baseline's 4 (BEGIN, the row locked, its UPDATE, COMMIT): BEGIN; the row locked; the relance email; user, client and invoices locked FOR NO KEY UPDATE, in that order, each its own statement (the order every delivery takes them); the same Message-ID processed before; the client's replies notified in the last 24 hours; per pending invoice the hold's UPDATE, the waiting check-in cancelled and the client_replied check-in inserted; the activity event; the webhook subscribers with the invoice's JSON; the row marked processed; COMMIT. On 2 cores shared with PostgreSQL each round trip is mostly the socket write and the wake-up of a backend (writev, pg's socket writes, was a fifth of a worker profile taken over 300 replies). The CPU per message processed counts, once, the worker loading the parsers and the processing services on its first job (loaded on first use, so that the web and the receiver never load them): with 600 replies that is a visible part of the gap to the raw processor, which loads everything before it consumes. The same-design baseline issues the same statements; what remains between it and the app is the framework's cost per statement (knex's query building and runner, Lucid's model hydration of the relance email, user, client and invoices, and the saves) and the app's job plumbing.",
      ],
      details: {
        appAccepted,
        bareAccepted,
        appProcessed,
        bareProcessed,
        rawProcessed,
        receiverRssPeak: rss.peak,
        profile,
      },
    }
  },
}

export default inbound
