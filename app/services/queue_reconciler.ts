import { DateTime } from 'luxon'
import type { Redis } from 'ioredis'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import { generateCheckinToken } from '#services/checkin_token'
import { checkinJob, checkinJobId } from '#services/checkin_scheduler'
import { relanceJob, relanceJobId } from '#services/relance_scheduler'
import { enqueue, getQueue, removeJobs, type QueueName, type QueuedJob } from '#services/job_queue'
import queueConfig from '#config/queue'

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

const BATCH_SIZE = 1_000

/**
 * Pages through a table's settled `scheduled` rows by id, so memory stays
 * flat at any volume.
 */
async function* scheduledBatches<Model extends typeof CheckinTask | typeof Relance>(
  model: Model,
  graceSeconds: number
): AsyncGenerator<InstanceType<Model>[]> {
  const settledBefore = DateTime.now().minus({ seconds: graceSeconds }).toJSDate()
  let afterId = 0
  while (true) {
    const rows = (await model
      .query()
      // What a job is built from: no other column is hydrated (less garbage per batch)
      .select('id', 'invoice_id', 'scheduled_at')
      .where('status', 'scheduled')
      .where('updated_at', '<', settledBefore)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(BATCH_SIZE)) as InstanceType<Model>[]
    if (rows.length === 0) return
    yield rows
    afterId = rows[rows.length - 1].id
  }
}

/**
 * The settled `scheduled` rows of a table whose job Redis no longer holds,
 * batch by batch.
 */
async function* rowsWithLostJobs<Model extends typeof CheckinTask | typeof Relance>(
  model: Model,
  queueName: QueueName,
  jobIdOf: (id: number) => string,
  graceSeconds: number
): AsyncGenerator<InstanceType<Model>[]> {
  for await (const rows of scheduledBatches(model, graceSeconds)) {
    const missing = new Set(
      await jobsToRecreate(
        queueName,
        rows.map((row) => jobIdOf(row.id))
      )
    )
    const lost = rows.filter((row) => missing.has(jobIdOf(row.id)))
    if (lost.length > 0) yield lost
  }
}

/** Replaces finished or absent jobs with new ones under the same ids. */
async function replaceJobs<Payload>(queueName: QueueName, jobs: QueuedJob<Payload>[]) {
  await removeJobs(
    queueName,
    jobs.map((job) => job.opts.jobId)
  )
  await enqueue(queueName, jobs)
  return jobs.length
}

async function reconcileCheckins(graceSeconds: number): Promise<number> {
  let restored = 0
  for await (const lost of rowsWithLostJobs(CheckinTask, 'checkins', checkinJobId, graceSeconds)) {
    // The plain token of a lost job is gone: each task gets a new one
    const tokens = lost.map(() => generateCheckinToken())
    const { rows: rotated } = await db.rawQuery<{ rows: { id: number }[] }>(
      `UPDATE checkin_tasks SET token_hash = fresh.hash, updated_at = now()
       FROM json_to_recordset(?::json) AS fresh(id integer, hash text)
       WHERE checkin_tasks.id = fresh.id AND checkin_tasks.status = 'scheduled'
       RETURNING checkin_tasks.id`,
      [JSON.stringify(lost.map((task, index) => ({ id: task.id, hash: tokens[index].hashed })))]
    )
    const stillScheduled = new Set(rotated.map(({ id }) => id))
    const jobs = lost
      .map((task, index) => ({ task, token: tokens[index] }))
      .filter(({ task }) => stillScheduled.has(task.id))
      .map(({ task, token }) => checkinJob(task, token.plain))
    restored += await replaceJobs('checkins', jobs)
  }
  return restored
}

async function reconcileRelances(graceSeconds: number): Promise<number> {
  let restored = 0
  for await (const lost of rowsWithLostJobs(Relance, 'relances', relanceJobId, graceSeconds)) {
    restored += await replaceJobs('relances', lost.map(relanceJob))
  }
  return restored
}

/**
 * PostgreSQL is the source of truth: every `scheduled` check-in and relance
 * whose job Redis lost gets one again (overdue ones run at once).
 * Deterministic job ids keep a repeated pass from duplicating anything.
 * Rows younger than `graceSeconds` (QUEUE_RECONCILE_GRACE_SECONDS, 30 by
 * default) are left to the request that is enqueueing their job.
 */
export async function reconcileQueues({ graceSeconds = queueConfig.reconcileGraceSeconds } = {}) {
  const checkins = await reconcileCheckins(graceSeconds)
  const relances = await reconcileRelances(graceSeconds)
  if (checkins + relances > 0) {
    logger.info({ checkins, relances }, 'reconciler re-enqueued lost jobs')
  }
  return { checkins, relances }
}
