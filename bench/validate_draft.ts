/*
| 3. validateDraft of 10,000 rows, scheduling included: POST
| /api/v1/import-batches {rows}, then POST /import-batches/:id/validate, timed
| until every job is in Redis. Baseline: the same rows written with raw
| multi-row INSERTs in one transaction, plus BullMQ addBulk of the same jobs.
| Skips itself ("not available: route missing") while the routes do not exist.
*/
import { randomBytes } from 'node:crypto'
import { Queue } from 'bullmq'
import type pg from 'pg'
import { BENCH_HEADERS, redisClient, type BenchResources } from './support/environment.js'
import { registerUser } from './support/api.js'
import { addBulkInChunks, checkinJobData } from './support/bare_jobs.js'
import { startWeb } from './support/processes.js'
import { describeProfile, profileFolder } from './support/cpu_profile.js'
import { inTransaction } from './support/transaction.js'
import { NotAvailable, round, verdict, type Benchmark } from './support/report.js'
import { waitFor } from '#tests/helpers/wait_for'

const ROWS = 10_000
const CLIENTS = 200
/** Issue 16: at most this long, and at most this share of the baseline's time */
const GOAL = { seconds: 3, ofBaseline: 1.3 }
const INSERT_CHUNK = 1_000
const RELANCE_OFFSETS = [3, 10, 20]

type Row = {
  number: string
  clientName: string
  clientEmail: string
  amountCents: number
  dueDate: string
}

function draftRows(): Row[] {
  const today = Date.now()
  return Array.from({ length: ROWS }, (_, index) => ({
    number: `IMP-${String(index + 1).padStart(6, '0')}`,
    clientName: `Client ${index % CLIENTS} SAS`,
    clientEmail: `compta-${index % CLIENTS}@import.test`,
    amountCents: 10_000 + (index % 900) * 100,
    dueDate: new Date(today + (10 + (index % 30)) * 86_400_000).toISOString().slice(0, 10),
  }))
}

/** Multi-row INSERT … VALUES of `rows`, `columns` per row, chunked. */
async function insertRows(
  client: pg.PoolClient,
  table: string,
  columns: string[],
  rows: unknown[][],
  returning = ''
): Promise<any[]> {
  const out: any[] = []
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const chunk = rows.slice(start, start + INSERT_CHUNK)
    const values = chunk
      .map(
        (_, row) =>
          `(${columns.map((__, column) => `$${row * columns.length + column + 1}`).join(', ')})`
      )
      .join(', ')
    const { rows: inserted } = await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ${returning}`,
      chunk.flat()
    )
    out.push(...inserted)
  }
  return out
}

type InsertedJob = { id: number; invoice_id: number; scheduled_at: Date }

const at0900 = (date: string, plusDays = 0) =>
  new Date(Date.parse(`${date}T07:00:00Z`) + plusDays * 86_400_000)

/**
 * What validate writes, without the framework: clients, invoices, their
 * activity events, check-ins and relances in one transaction, then the jobs.
 */
async function baselineImport(
  poolPg: pg.Pool,
  redisJobs: Record<string, Queue>,
  userId: number,
  rows: Row[],
  tokenLength: number
) {
  const started = performance.now()
  const { tasks, relances } = await inTransaction(poolPg, async (client) => {
    const now = new Date()
    const emails = [...new Map(rows.map((row) => [row.clientEmail, row.clientName]))]
    const clients = await insertRows(
      client,
      'clients',
      ['user_id', 'name', 'email', 'created_at', 'updated_at'],
      emails.map(([email, name]) => [userId, name, email, now, now]),
      'RETURNING id, email'
    )
    const clientIds = new Map(clients.map((row) => [row.email, row.id]))
    const invoices = await insertRows(
      client,
      'invoices',
      [
        'user_id',
        'client_id',
        'number',
        'amount_cents',
        'currency',
        'due_date',
        'status',
        'created_at',
        'updated_at',
      ],
      rows.map((row) => [
        userId,
        clientIds.get(row.clientEmail),
        row.number,
        row.amountCents,
        'EUR',
        row.dueDate,
        'pending',
        now,
        now,
      ]),
      'RETURNING id, number, due_date'
    )
    const byNumber = new Map(rows.map((row) => [row.number, row]))
    await insertRows(
      client,
      'activity_events',
      ['user_id', 'invoice_id', 'type', 'label', 'metadata', 'created_at'],
      invoices.map((invoice) => [
        userId,
        invoice.id,
        'invoice_created',
        `Invoice ${invoice.number} created for ${byNumber.get(invoice.number)!.clientName}`,
        '{}',
        now,
      ])
    )
    const taskRows: InsertedJob[] = await insertRows(
      client,
      'checkin_tasks',
      ['invoice_id', 'token_hash', 'status', 'scheduled_at', 'created_at', 'updated_at'],
      invoices.map((invoice) => [
        invoice.id,
        randomBytes(32).toString('hex'),
        'scheduled',
        at0900(byNumber.get(invoice.number)!.dueDate),
        now,
        now,
      ]),
      'RETURNING id, invoice_id, scheduled_at'
    )
    const relanceRows: InsertedJob[] = await insertRows(
      client,
      'relances',
      ['invoice_id', 'sequence', 'scheduled_at', 'status', 'created_at', 'updated_at'],
      invoices.flatMap((invoice) =>
        RELANCE_OFFSETS.map((offset, index) => [
          invoice.id,
          index + 1,
          at0900(byNumber.get(invoice.number)!.dueDate, offset),
          'scheduled',
          now,
          now,
        ])
      ),
      'RETURNING id, invoice_id, scheduled_at'
    )
    return { tasks: taskRows, relances: relanceRows }
  })
  const sqlSeconds = (performance.now() - started) / 1000
  const opts = {
    attempts: 6,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 86_400, count: 10_000 },
    removeOnFail: { age: 14 * 86_400, count: 10_000 },
  }
  await addBulkInChunks(redisJobs.checkins, tasks, INSERT_CHUNK, (task) => ({
    name: 'send-checkin',
    data: checkinJobData(task, tokenLength),
    opts: {
      ...opts,
      jobId: `checkin-${task.id}`,
      delay: task.scheduled_at.getTime() - Date.now(),
    },
  }))
  await addBulkInChunks(redisJobs.relances, relances, INSERT_CHUNK, (relance) => ({
    name: 'send-relance',
    data: { relanceId: relance.id, invoiceId: relance.invoice_id },
    opts: {
      ...opts,
      jobId: `relance-${relance.id}`,
      delay: relance.scheduled_at.getTime() - Date.now(),
    },
  }))
  return {
    seconds: (performance.now() - started) / 1000,
    sqlSeconds,
    checkins: tasks.length,
    relances: relances.length,
  }
}

/** POST /import-batches {rows} as this user; the draft's id and how long it took. */
async function createDraft(baseUrl: string, headers: Record<string, string>, rows: Row[]) {
  const started = performance.now()
  const created = await fetch(`${baseUrl}/api/v1/import-batches`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ rows }),
  })
  if (created.status === 404) throw new NotAvailable('route missing (POST /api/v1/import-batches)')
  if (created.status !== 201) {
    const body = await created.text()
    throw new Error(`POST /import-batches answered ${created.status}: ${body.slice(0, 300)}`)
  }
  const seconds = (performance.now() - started) / 1000
  const { data: draft } = (await created.json()) as { data: { id: number; validRows?: number } }
  if (draft.validRows !== undefined && draft.validRows !== ROWS) {
    throw new Error(`the draft has ${draft.validRows} valid rows of ${ROWS}`)
  }
  return { id: draft.id, seconds }
}

/** POST /import-batches/:id/validate; resolves at the 200 with the response unread. */
async function validate(baseUrl: string, headers: Record<string, string>, draftId: number) {
  const validated = await fetch(`${baseUrl}/api/v1/import-batches/${draftId}/validate`, {
    method: 'POST',
    headers,
  })
  if (validated.status === 404) {
    throw new NotAvailable('route missing (POST /api/v1/import-batches/:id/validate)')
  }
  if (validated.status !== 200) {
    const body = await validated.text()
    throw new Error(`validate answered ${validated.status}: ${body.slice(0, 300)}`)
  }
  return validated
}

const authorized = (authorization: string) => ({
  'content-type': 'application/json',
  authorization,
  ...BENCH_HEADERS,
})

/** The web's CPU profile over one more import of the same rows, by a user of its own. */
async function profiledImport(resources: BenchResources, rows: Row[]) {
  const prof = await profileFolder()
  const web = await startWeb(resources, {}, { nodeFlags: prof.nodeFlags })
  try {
    const user = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Import',
      'import-profiled@bench.test'
    )
    const headers = authorized(user.authorization)
    const draft = await createDraft(web.baseUrl, headers, rows)
    const validated = await validate(web.baseUrl, headers, draft.id)
    await validated.arrayBuffer()
  } finally {
    await web.stop()
  }
  return prof.summary()
}

const validateDraftBench: Benchmark = {
  name: 'validate_draft',
  title: `validateDraft of ${ROWS.toLocaleString('en-US')} rows, scheduling included`,
  async run({ resources, defer, log }) {
    const web = await startWeb(resources)
    defer(() => web.stop())
    const redis = redisClient()
    defer(() => redis.quit())
    const appUser = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Import',
      'import-app@bench.test'
    )
    const headers = authorized(appUser.authorization)

    const rows = draftRows()
    const draft = await createDraft(web.baseUrl, headers, rows)
    const draftSeconds = draft.seconds
    log(`validating a draft of ${ROWS} rows (draft created in ${draftSeconds.toFixed(1)} s)`)
    /** The check-in and relance queues named `<namePrefix>checkins` and `…relances`. */
    const queuePair = (namePrefix: string) => {
      const pair = {
        checkins: new Queue(`${namePrefix}checkins`, {
          prefix: resources.queuePrefix,
          connection: redis,
        }),
        relances: new Queue(`${namePrefix}relances`, {
          prefix: resources.queuePrefix,
          connection: redis,
        }),
      }
      defer(() => Promise.all(Object.values(pair).map((queue) => queue.close())))
      return pair
    }
    const queues = queuePair('')
    const queued = async (queue: Queue) => {
      const counts = await queue.getJobCounts('delayed', 'waiting', 'prioritized')
      return counts.delayed + counts.waiting + counts.prioritized
    }
    const validateStarted = performance.now()
    const validated = await validate(web.baseUrl, headers, draft.id)
    const answeredSeconds = (performance.now() - validateStarted) / 1000
    // What Redis holds right at the answer (the app enqueues after commit, before answering)
    let queuedAt = performance.now()
    const atAnswer = {
      checkins: await queued(queues.checkins),
      relances: await queued(queues.relances),
    }
    await validated.arrayBuffer()
    // Fresh statistics, or the planner walks the new rows with nested loops
    await resources.pool.query('ANALYZE invoices, checkin_tasks, relances')
    const {
      rows: [expected],
    } = await resources.pool.query(
      `SELECT (SELECT count(*)::int FROM checkin_tasks t JOIN invoices i ON i.id = t.invoice_id
                WHERE i.user_id = $1 AND t.status = 'scheduled') AS checkins,
              (SELECT count(*)::int FROM relances r JOIN invoices i ON i.id = r.invoice_id
                WHERE i.user_id = $1 AND r.status = 'scheduled') AS relances,
              (SELECT count(*)::int FROM invoices WHERE user_id = $1) AS invoices`,
      [appUser.userId]
    )
    const findings: string[] = []
    if (atAnswer.checkins < expected.checkins || atAnswer.relances < expected.relances) {
      // Enqueued in the background: wait for the rest (this time includes the count query)
      findings.push(
        `At the 200, Redis held ${atAnswer.checkins}/${expected.checkins} check-in and ${atAnswer.relances}/${expected.relances} relance jobs; the rest came after`
      )
      await waitFor(
        'every job of the import in Redis',
        async () =>
          (await queued(queues.checkins)) >= expected.checkins &&
          (await queued(queues.relances)) >= expected.relances,
        { timeoutMs: 120_000, intervalMs: 25 }
      )
      queuedAt = performance.now()
    }
    const appSeconds = (queuedAt - validateStarted) / 1000
    const [sample] = await queues.checkins.getDelayed(0, 0)
    const tokenLength = (sample?.data?.encryptedToken as string | undefined)?.length ?? 120

    log('baseline: raw multi-row INSERTs and addBulk of the same rows and jobs')
    const baselineUser = await registerUser(
      resources.pool,
      web.baseUrl,
      'Camille Import',
      'import-baseline@bench.test'
    )
    const bare = queuePair('bare-')
    const baseline = await baselineImport(
      resources.pool,
      bare,
      baselineUser.userId,
      rows,
      tokenLength
    )

    if (expected.invoices !== ROWS)
      findings.push(`validate created ${expected.invoices} invoices of ${ROWS}`)
    await web.stop()
    log('one more import on a web process under --cpu-prof')
    const profile = await profiledImport(resources, rows)
    if (profile) findings.push(describeProfile('the web over one draft and its validate', profile))
    return {
      measures: [
        {
          measure: 'validate, until every job is queued',
          unit: 's',
          value: round(appSeconds, 2),
          baseline: round(baseline.seconds, 2),
          goal: `≤ ${GOAL.seconds} s and ≤ ${GOAL.ofBaseline * 100}% of baseline`,
          verdict: verdict(
            appSeconds <= GOAL.seconds && appSeconds <= GOAL.ofBaseline * baseline.seconds
          ),
        },
        {
          measure: 'validate, until the 200',
          unit: 's',
          value: round(answeredSeconds, 2),
          baseline: null,
          verdict: 'info',
        },
        {
          measure: 'draft creation (POST /import-batches)',
          unit: 's',
          value: round(draftSeconds, 2),
          baseline: null,
          verdict: 'info',
        },
      ],
      method: [
        `${ROWS} valid rows over ${CLIENTS} clients, due in 10 to 40 days, sent as JSON {rows}; the draft is created first (timed apart), then POST /import-batches/:id/validate is timed until its 200 and until Redis holds every job of the import (check-ins and relances delayed, counted against the scheduled rows in PostgreSQL).`,
        'Baseline (same database, another user): in one transaction, multi-row INSERTs of 1,000 rows of the same clients, invoices, invoice_created events, check-ins and 3 relances per invoice, then BullMQ addBulk by 1,000 of the same jobs (same names, options, payload sizes) into queues of their own.',
        `Ratio = app time / baseline time: the goal is a ratio ≤ ${GOAL.ofBaseline * 100}%.`,
        'Then, for the findings, the same import by a third user on a web process started with `--cpu-prof` (bench/support/cpu_profile.ts): where the web spends its CPU during a validate.',
        'The app enqueues after commit and before answering, so "until every job is queued" is the time of the 200 unless Redis still lacked jobs then (see findings).',
      ],
      findings,
      details: {
        draftSeconds,
        answeredSeconds,
        appSeconds,
        expected,
        queuedAtAnswer: atAnswer,
        baseline,
        profile,
      },
    }
  },
}

export default validateDraftBench
