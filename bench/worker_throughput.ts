/*
| 4. Worker throughput: check-in emails per second from the built worker (`node build/ace.js queue:work`)
| into a local SMTP server, at a few concurrency levels. Two baselines: a raw
| worker (bare BullMQ + pg + pooled nodemailer doing the app's former
| per-email SQL statements and the same email, bench/support/raw_worker.ts), and bare pooled nodemailer
| sending the very same messages with nothing else to do.
*/
import { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { analyze, seedCheckins, seedInvoices, seedUsers } from './support/seed.js'
import {
  cpuSeconds,
  resendWithBaselineMailer,
  enqueueCheckins,
  startRawWorker,
  startWorker,
} from './support/processes.js'
import { MailClock } from './support/mail_clock.js'
import { describeProfile } from './support/cpu_profile.js'
import { withProfiler } from './support/load.js'
import { round, verdict, type Benchmark, type Measure } from './support/report.js'
import type { BenchResources } from './support/environment.js'

const LEVELS = [5, 10, 25]
/** One invoice per user: every job sends a single check-in, never a digest. */
const MAILS_PER_LEVEL = 2_000
const PROFILED_MAILS = 1_000
const GOAL_PER_SECOND = 500
const GOAL_OF_RAW = 0.5

type Side = { rate: number; cpuMsPerMail: number | null }

/** `count` check-ins due a minute ago, one per user, their jobs waiting in the queue. */
async function prepareCheckins(
  resources: BenchResources,
  userIds: number[],
  tag: string,
  count = userIds.length
) {
  const invoices = await seedInvoices(resources.pool, {
    tag,
    userIds: userIds.slice(0, count),
    count,
    clientsPerUser: 2,
  })
  const taskIds = await seedCheckins(
    resources.pool,
    invoices.map((invoice) => invoice.id),
    { status: 'scheduled', scheduledAt: new Date(Date.now() - 60_000) }
  )
  await analyze(resources.pool)
  await enqueueCheckins(resources, taskIds)
  return taskIds
}

/**
 * Runs a started worker process until `count` emails arrived: the rate at the
 * inbox and the process's CPU per mail; every task must end `sent`.
 */
async function drain(
  resources: BenchResources,
  clock: MailClock,
  worker: { pid: number; stop(): Promise<unknown> },
  taskIds: number[],
  problems: string[],
  what: string
): Promise<Side> {
  const cpuBefore = await cpuSeconds(worker.pid)
  let cpuAfter: number | null = null
  try {
    await clock.waitForCount(taskIds.length, 120_000)
    cpuAfter = await cpuSeconds(worker.pid)
  } finally {
    await worker.stop()
  }
  await expectSent(resources, clock, taskIds, problems, what)
  return {
    rate: clock.rate() ?? 0,
    cpuMsPerMail:
      cpuBefore !== null && cpuAfter !== null
        ? ((cpuAfter - cpuBefore) * 1000) / taskIds.length
        : null,
  }
}

/** Every task of the pass `sent`, and one email for each. */
async function expectSent(
  resources: BenchResources,
  clock: MailClock,
  taskIds: number[],
  problems: string[],
  what: string
) {
  const {
    rows: [sent],
  } = await resources.pool.query(
    "SELECT count(*)::int AS n FROM checkin_tasks WHERE id = ANY($1) AND status = 'sent'",
    [taskIds]
  )
  if (sent.n !== taskIds.length || clock.count !== taskIds.length) {
    problems.push(
      `${what}: ${sent.n} tasks marked sent and ${clock.count} emails received for ${taskIds.length} jobs`
    )
  }
}

const ms = (value: number | null) => (value === null ? '–' : value.toFixed(2))

const workerThroughput: Benchmark = {
  name: 'worker_throughput',
  title: 'Worker throughput: check-in emails per second into a local SMTP server',
  async run({ resources, defer, log }) {
    const inbox = await SmtpInbox.start()
    defer(() => inbox.close())
    const clock = new MailClock(inbox)
    const userIds = await seedUsers(resources.pool, 'tput', MAILS_PER_LEVEL)
    const smtpEnv = { SMTP_PORT: String(inbox.port) }

    const measures: Measure[] = []
    const problems: string[] = []
    const levels: { concurrency: number; app: Side; raw: Side; bare: Side }[] = []

    for (const level of LEVELS) {
      log(`concurrency ${level}: raw worker, ${MAILS_PER_LEVEL} check-ins of as many users`)
      const rawTasks = await prepareCheckins(resources, userIds, `RAW${level}`)
      clock.reset()
      const raw = await drain(
        resources,
        clock,
        await startRawWorker(resources, inbox.port, level),
        rawTasks,
        problems,
        `raw worker, concurrency ${level}`
      )

      log(`concurrency ${level}: app worker, ${MAILS_PER_LEVEL} check-ins enqueued by checkinJob()`)
      const appTasks = await prepareCheckins(resources, userIds, `APP${level}`)
      clock.reset()
      const app = await drain(
        resources,
        clock,
        await startWorker(resources, { concurrency: level, env: smtpEnv }),
        appTasks,
        problems,
        `app worker, concurrency ${level}`
      )

      // Bare nodemailer sends what the app sent, to the same inbox
      const { cpuMs } = await resendWithBaselineMailer(clock, {
        count: MAILS_PER_LEVEL,
        concurrency: level,
        timeoutMs: 60_000,
      })
      const bare = { rate: clock.rate() ?? 0, cpuMsPerMail: cpuMs / MAILS_PER_LEVEL }
      clock.reset()

      log(
        `concurrency ${level}: app ${app.rate.toFixed(0)}/s (CPU ${ms(app.cpuMsPerMail)} ms/mail), raw ${raw.rate.toFixed(0)}/s (${ms(raw.cpuMsPerMail)}), bare ${bare.rate.toFixed(0)}/s (${ms(bare.cpuMsPerMail)})`
      )
      levels.push({ concurrency: level, app, raw, bare })
      measures.push(
        {
          measure: `mails/s, concurrency ${level}, vs raw worker`,
          unit: 'mails/s',
          value: round(app.rate, 1),
          baseline: round(raw.rate, 1),
          verdict: 'info',
        },
        {
          measure: `mails/s, concurrency ${level}, vs bare nodemailer`,
          unit: 'mails/s',
          value: round(app.rate, 1),
          baseline: round(bare.rate, 1),
          verdict: 'info',
        }
      )
    }

    const best = levels.reduce((top, level) => (level.app.rate > top.app.rate ? level : top))
    const bestRaw = levels.reduce((top, level) => (level.raw.rate > top.raw.rate ? level : top))
    const bestBare = levels.reduce((top, level) => (level.bare.rate > top.bare.rate ? level : top))
    const cpu = (side: 'app' | 'raw' | 'bare') => best[side].cpuMsPerMail
    measures.push(
      {
        measure: `best of the levels (concurrency ${best.concurrency}) vs bare nodemailer`,
        unit: 'mails/s',
        value: round(best.app.rate, 1),
        baseline: round(bestBare.bare.rate, 1),
        goal: `≥ ${GOAL_PER_SECOND} mails/s`,
        verdict: verdict(best.app.rate >= GOAL_PER_SECOND),
      },
      {
        measure: `best of the levels vs best raw worker (concurrency ${bestRaw.concurrency})`,
        unit: 'mails/s',
        value: round(best.app.rate, 1),
        baseline: round(bestRaw.raw.rate, 1),
        goal: `≥ ${GOAL_OF_RAW * 100}% of the raw worker`,
        verdict: verdict(best.app.rate >= GOAL_OF_RAW * bestRaw.raw.rate),
      },
      {
        measure: `worker CPU per mail, concurrency ${best.concurrency}, vs raw worker`,
        unit: 'ms',
        value: round(cpu('app'), 2),
        baseline: round(cpu('raw'), 2),
        verdict: 'info',
      },
      {
        measure: `worker CPU per mail, concurrency ${best.concurrency}, vs bare nodemailer`,
        unit: 'ms',
        value: round(cpu('app'), 2),
        baseline: round(cpu('bare'), 2),
        verdict: 'info',
      }
    )

    // A separate, shorter pass under the CPU profiler: not in the figures above.
    // The jobs are added once the worker is up, so its boot is not profiled.
    log(`profile: app worker at concurrency 10, ${PROFILED_MAILS} check-ins`)
    clock.reset()
    const summary = await withProfiler(
      async (nodeFlags) => {
        const worker = await startWorker(resources, { concurrency: 10, env: smtpEnv, nodeFlags })
        return { process: worker, stop: () => worker.stop() }
      },
      async (_worker, profileOf) => {
        const profiled = await profileOf(async () => {
          const tasks = await prepareCheckins(resources, userIds, 'PROF', PROFILED_MAILS)
          await clock.waitForCount(tasks.length, 120_000)
          return tasks
        })
        await expectSent(resources, clock, profiled.result, problems, 'profiled app worker')
        return profiled
      }
    )
    clock.reset()

    const findings = [
      ...problems,
      `At concurrency ${best.concurrency}: the app sends ${best.app.rate.toFixed(0)} mails/s for ${ms(cpu('app'))} ms of worker CPU per mail; the raw worker (same queue, jobs and email, one job, claim and commit per email) ${best.raw.rate.toFixed(0)} mails/s for ${ms(cpu('raw'))} ms; bare nodemailer ${best.bare.rate.toFixed(0)} mails/s for ${ms(cpu('bare'))} ms. CPU per mail, app / raw: ${cpu('app') && cpu('raw') ? Math.round((cpu('app')! / cpu('raw')!) * 100) : '–'}%.`,
      "Issue 25: the app sends in batches (see checkin_timing): the jobs in hand and the longest-waiting due check-ins, up to --concurrency users per transaction, in 6 statements per batch (BEGIN, the users locked SKIP LOCKED, their due tasks locked, the new tokens stored, the tasks marked sent with their events, COMMIT), the other jobs removed rather than run. Before (one job per email, as the raw worker still does): 4 statements and a BullMQ job per email; on 2026-12-05, concurrency 25, 442 mails/s and 1.67 ms of worker CPU per mail against the raw worker's 508 and 1.25 ms. Before issue 16: 14 statements per email.",
      'The next check-in before a relance (scheduleCheckinsBeforeNextRelance) only runs for tasks whose invoice has a relance ahead: this bench seeds one invoice per user and no relances, so it does not run here.',
      'Fixed in config/mail.ts before this issue: the SMTP transport is pooled and without Nagle (~40 ms per email per connection otherwise); formats are cached per locale and currency (app/mails/formatting.ts).',
    ]
    if (summary) findings.push(describeProfile('the app worker (separate pass)', summary))

    return {
      measures,
      method: [
        `Per level: ${MAILS_PER_LEVEL} users with one pending invoice each and its check-in due a minute ago, their jobs added by the app's own checkinJob()/enqueue() (bench/support/app_script.ts) before the worker starts; then \`node build/ace.js queue:work --concurrency=N\` (production mode, compiled build) sends them to an smtp-server inbox (tests/helpers/smtp_inbox.ts) in the bench process. One invoice per user: each job sends one check-in, never a digest.`,
        'Rate = (messages - 1) / (last arrival - first arrival) at the inbox, so start-up is not counted. Every task is checked `sent` in the database afterwards.',
        "Raw worker (bench/support/raw_worker.ts): another set of the same check-ins and app-enqueued jobs, consumed by a bare BullMQ Worker with the same concurrency, pg (pool 10) and pooled nodemailer (Nagle off), issuing per job the statements the app issued per email before its batches (issue 25), decrypting the token with the same cipher and writing the email with the app's templates.",
        "Bare nodemailer: bench/support/baseline_mailer.ts, `pool: true`, maxConnections = the level, Nagle off, sending the app's messages (same recipients, subjects and bodies) with the same number in flight; no database, no queue.",
        'CPU per mail: user + system time of the process (worker: from ready to the last arrival; bare mailer: while sending), divided by the mails.',
        `The CPU profile comes from a separate pass (${PROFILED_MAILS} check-ins, concurrency 10), not from the measured runs: the inspector's profiler runs from before their jobs are added (the worker already up) to the last arrival, so the boot is left out.`,
      ],
      findings,
      details: { levels, profile: summary },
    }
  },
}

export default workerThroughput
