import { DateTime } from 'luxon'
import type { Redis } from 'ioredis'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { generateCheckinToken } from '#services/checkin_token'
import { checkinJob, checkinJobId } from '#services/checkin_scheduler'
import { relanceJob, relanceJobId } from '#services/relance_scheduler'
import { enqueue, getQueue, removeJobs, type QueueName } from '#services/job_queue'

/**
 * Rows younger than this are left alone by default: the request that wrote
 * them may still be enqueueing their job.
 */
const DEFAULT_GRACE_SECONDS = 30

/**
 * The ids, among these, that have no job waiting, delayed or running in
 * Redis: absent, or left in the completed or failed set. One round trip.
 */
async function jobsToRecreate(queueName: QueueName, jobIds: string[]): Promise<string[]> {
  const queue = getQueue(queueName)
  // BullMQ's client type is backend-neutral; the Redis backend hands out ioredis
  const client = (await queue.backend.client) as unknown as Redis
  const pipeline = client.pipeline()
  for (const jobId of jobIds) {
    pipeline.exists(queue.toKey(jobId))
    pipeline.zscore(queue.toKey('completed'), jobId)
    pipeline.zscore(queue.toKey('failed'), jobId)
  }
  const replies = (await pipeline.exec()) ?? []
  return jobIds.filter((_, index) => {
    const [[, exists], [, completed], [, failed]] = replies.slice(index * 3, index * 3 + 3)
    return exists === 0 || completed !== null || failed !== null
  })
}

/** Pages through scheduled rows by id, so memory stays flat at any volume. */
async function* scheduledBatches<Row extends { id: number }>(
  load: (afterId: number) => Promise<Row[]>
): AsyncGenerator<Row[]> {
  let afterId = 0
  while (true) {
    const rows = await load(afterId)
    if (rows.length === 0) return
    yield rows
    afterId = rows[rows.length - 1].id
  }
}

const BATCH_SIZE = 1_000
const settledBefore = (graceSeconds: number) =>
  DateTime.now().minus({ seconds: graceSeconds }).toJSDate()

async function reconcileCheckins(graceSeconds: number): Promise<number> {
  let restored = 0
  const batches = scheduledBatches((afterId) =>
    CheckinTask.query()
      .where('status', 'scheduled')
      .where('updated_at', '<', settledBefore(graceSeconds))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(BATCH_SIZE)
  )
  for await (const tasks of batches) {
    const missing = new Set(
      await jobsToRecreate(
        'checkins',
        tasks.map((task) => checkinJobId(task.id))
      )
    )
    const lost = tasks.filter((task) => missing.has(checkinJobId(task.id)))
    if (lost.length === 0) continue

    // The plain token of a lost job is gone: each task gets a new one
    const tokens = lost.map(() => generateCheckinToken())
    const rotated: { id: number }[] = await db
      .from('checkin_tasks')
      .whereIn(
        'id',
        lost.map((task) => task.id)
      )
      .where('status', 'scheduled')
      .update(
        {
          token_hash: db.raw(
            `CASE id ${lost.map(() => 'WHEN ? THEN ?').join(' ')} END`,
            lost.flatMap((task, index) => [task.id, tokens[index].hashed])
          ),
          updated_at: new Date(),
        },
        ['id']
      )
    const stillScheduled = new Set(rotated.map(({ id }) => id))
    const jobs = lost
      .map((task, index) => ({ task, token: tokens[index] }))
      .filter(({ task }) => stillScheduled.has(task.id))
      .map(({ task, token }) => checkinJob(task, token.plain))
    await removeJobs(
      'checkins',
      jobs.map((job) => job.opts.jobId)
    )
    await enqueue('checkins', jobs)
    restored += jobs.length
  }
  return restored
}

async function reconcileRelances(graceSeconds: number): Promise<number> {
  let restored = 0
  const batches = scheduledBatches((afterId) =>
    Relance.query()
      .where('status', 'scheduled')
      .where('updated_at', '<', settledBefore(graceSeconds))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(BATCH_SIZE)
  )
  for await (const relances of batches) {
    const missing = new Set(
      await jobsToRecreate(
        'relances',
        relances.map((relance) => relanceJobId(relance.id))
      )
    )
    const jobs = relances.filter((relance) => missing.has(relanceJobId(relance.id))).map(relanceJob)
    await removeJobs(
      'relances',
      jobs.map((job) => job.opts.jobId)
    )
    await enqueue('relances', jobs)
    restored += jobs.length
  }
  return restored
}

/**
 * PostgreSQL is the source of truth: every `scheduled` check-in and relance
 * whose job Redis lost gets one again (overdue ones run at once).
 * Deterministic job ids keep a repeated pass from duplicating anything.
 */
export async function reconcileQueues({ graceSeconds = DEFAULT_GRACE_SECONDS } = {}) {
  const checkins = await reconcileCheckins(graceSeconds)
  const relances = await reconcileRelances(graceSeconds)
  if (checkins + relances > 0) {
    logger.info({ checkins, relances }, 'reconciler re-enqueued lost jobs')
  }
  return { checkins, relances }
}
