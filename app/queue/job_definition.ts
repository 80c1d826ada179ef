import type { Job } from 'bullmq'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { afterCommit } from '#queue/after_commit'
import { enqueue, removeJobs, replaceJobs, type QueuedJob } from '#queue/queues'

/** A page of the rows that each promise one job of a queue. */
export type RowPage = { afterId: number; settledBefore: Date; limit: number }

/** What PostgreSQL says of a queue's rows: the promises beside what Redis holds. */
export type RowStatus = {
  scheduled: number
  sent: number
  failed: number
  /** The oldest `scheduled` row whose moment has passed: how late the queue runs. */
  oldestOverdueAt: Date | null
  failedLastDay: number
}

/**
 * What a job file tells the plumbing about its queue. Everything that is
 * domain (loading rows, sending, rotating tokens) stays behind these hooks.
 */
export type JobSpec<Payload, Row extends { id: number }> = {
  /** The BullMQ job name. */
  name: string
  /** The prefix of the deterministic id: one row, one job id. */
  idPrefix: string
  /** Guards first, then the work, delegated to a service. */
  handle(job: Job<Payload>, token?: string): Promise<unknown>
  /** An error that no retry will change: the job fails at once. */
  isPermanent?(error: unknown): boolean
  /** The failure in one line for the logs (defaults to the error's message). */
  describeFailure?(error: unknown): string
  /** Runs once the job has failed its last attempt. */
  onExhausted?(job: Job<Payload>, error: Error): Promise<void>
  /**
   * How the reconciler rebuilds a lost job: the rows that promise one, a
   * page at a time, and the jobs for those whose job Redis lost.
   */
  rebuild?: {
    scheduledRows(page: RowPage): Promise<Row[]>
    jobsFor(rows: Row[]): Promise<QueuedJob<Payload>[]>
  }
  /** The queue's rows as PostgreSQL counts them, for `node ace queue:status`. */
  rowStatus?(): Promise<RowStatus>
}

/**
 * One queue's job: its spec, plus the producer side every job file gets
 * for free. The queue name is given once, by `registerWorker` in
 * start/queue.ts.
 */
export class QueueJob<Payload = any, Row extends { id: number } = { id: number }> {
  #queueName?: string

  constructor(readonly spec: JobSpec<Payload, Row>) {}

  get queueName(): string {
    if (!this.#queueName) {
      throw new Error(`Job "${this.spec.name}" is not registered: see start/queue.ts`)
    }
    return this.#queueName
  }

  bindTo(queueName: string) {
    this.#queueName = queueName
  }

  jobId(rowId: number) {
    return `${this.spec.idPrefix}-${rowId}`
  }

  /** The job of a row, delayed until `runAt` (epoch ms); overdue ones run at once. */
  build(rowId: number, data: Payload, runAt: number): QueuedJob<Payload> {
    return {
      name: this.spec.name,
      data,
      opts: { jobId: this.jobId(rowId), delay: Math.max(0, runAt - Date.now()) },
    }
  }

  /** The job of a row, at the row's own moment (a luxon DateTime or a Date). */
  forRow(row: { id: number; scheduledAt: { valueOf(): number } }, data: Payload) {
    return this.build(row.id, data, row.scheduledAt.valueOf())
  }

  handle(job: Job<Payload>, token?: string) {
    return this.spec.handle(job, token)
  }

  enqueue(jobs: QueuedJob<Payload>[]) {
    return enqueue(this.queueName, jobs)
  }

  /** Enqueues these jobs once the transaction has committed, under its deadline. */
  enqueueAfterCommit(trx: TransactionClientContract, jobs: QueuedJob<Payload>[]) {
    this.#afterCommit(trx, 'enqueuing', enqueue, jobs)
  }

  /** Replaces these rows' jobs after commit: a moved row keeps its job id. */
  replaceAfterCommit(trx: TransactionClientContract, jobs: QueuedJob<Payload>[]) {
    this.#afterCommit(trx, 'moving', replaceJobs, jobs)
  }

  #afterCommit(
    trx: TransactionClientContract,
    verb: string,
    step: typeof enqueue<Payload>,
    jobs: QueuedJob<Payload>[]
  ) {
    if (jobs.length === 0) return
    afterCommit(
      trx,
      `${verb} ${this.queueName} jobs`,
      (options) => step(this.queueName, jobs, options),
      { jobCount: jobs.length }
    )
  }

  /**
   * Gives these rows their job again after commit, built as the reconciler
   * builds a lost one (a check-in gets a fresh token), in place of any
   * finished job under the same id.
   */
  rebuildAfterCommit(trx: TransactionClientContract, rows: Row[]) {
    const rebuild = this.spec.rebuild
    if (!rebuild || rows.length === 0) return
    afterCommit(
      trx,
      `rebuilding ${this.queueName} jobs`,
      async (options) => replaceJobs(this.queueName, await rebuild.jobsFor(rows), options),
      { jobCount: rows.length }
    )
  }

  /** Removes the delayed jobs of these rows after commit. */
  removeAfterCommit(trx: TransactionClientContract, rowIds: number[]) {
    if (rowIds.length === 0) return
    afterCommit(trx, `removing cancelled ${this.queueName} jobs`, (step) =>
      removeJobs(
        this.queueName,
        rowIds.map((id) => this.jobId(id)),
        step
      )
    )
  }
}

export function defineJob<Payload, Row extends { id: number } = { id: number }>(
  spec: JobSpec<Payload, Row>
) {
  return new QueueJob<Payload, Row>(spec)
}
