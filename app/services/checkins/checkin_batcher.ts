import db from '@adonisjs/lucid/services/db'
import {
  claimDueCheckins,
  deliverCheckin,
  type CheckinInHand,
  type ClaimedBatch,
  type DeliveryOutcome,
} from '#services/checkins/checkin_delivery'

/** What a check-in job ends with; `requeue`: the worker stops before its email started. */
export type BatchedOutcome = DeliveryOutcome | 'requeue'

type Waiting = CheckinInHand & {
  resolve(outcome: BatchedOutcome): void
  reject(error: unknown): void
}

/** A batch claimed for the drain, with the jobs it carries and those it left to the per-row path. */
type Claimed = { batch: ClaimedBatch; jobs: Waiting[]; alone: Waiting[] }

/** What one drain carries from batch to batch. */
type DrainState = {
  /** The jobs' answers, given once the drain ends */
  settle: Array<() => void>
  /** Jobs left to the next worker: this one is closing */
  untaken: Waiting[]
  /** The tasks whose email failed in this drain: their jobs fail with that error, untried again */
  failed: Map<number, Error>
  /** The last batch came back full: more may be due */
  more: boolean
}

/**
 * Sends the check-ins falling due in batches, one batch at a time per
 * process. A job handed to `deliver` wakes the drain, which sends a batch
 * (the jobs in hand first, then the longest-waiting check-ins) and goes on
 * while batches come back full: a 09:00 burst goes out at a few statements
 * per batch, its other jobs removed as their tasks go, instead of a claim,
 * a commit and a job per email. The next batch is claimed while one's emails
 * are out, and sends only once that one has committed: the claim costs no
 * wait between waves, and no more emails are ever sent and uncommitted.
 *
 * The jobs a batch took settle once the drain ends, so the worker fetches
 * no other job meanwhile (whose task a batch may be sending). A job no batch
 * took (a client's signal, its user held by another delivery, its invoice
 * held…) takes the per-row path when that batch sends, which decides as it
 * always did; its email counts among those in flight. Once the worker closes, no new
 * batch starts: a job whose task is still scheduled goes back to the queue
 * unsent.
 */
export class CheckinBatcher {
  #waiting: Waiting[] = []
  #running = false
  /** Jobs no batch took, sending on their own: their emails count in `batchSize` too. */
  #perRowInFlight = 0

  constructor(
    private readonly options: {
      /** Users per batch: the emails in flight at once. */
      batchSize: () => number
      closing: () => boolean
    }
  ) {}

  deliver(inHand: CheckinInHand): Promise<BatchedOutcome> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ...inHand, resolve, reject })
      this.#kick()
    })
  }

  #kick() {
    if (this.#running) return
    this.#running = true
    void this.#drain().finally(() => {
      this.#running = false
      // A job handed over between the drain's last look and now
      if (this.#waiting.length > 0) this.#kick()
    })
  }

  async #drain() {
    const drain: DrainState = { settle: [], untaken: [], failed: new Map(), more: true }
    let next = this.#claimNext(drain)
    for (;;) {
      const claimed = await next
      if (!claimed) break
      // A job no batch took sends now, once the batch before is committed, as this one does
      for (const job of claimed.alone) this.#deliverAlone(job)
      const sending = claimed.batch.send()
      // The next batch is claimed while these emails are out: it sends once they are committed
      next = this.#claimNext(drain)
      const failedBefore = drain.failed.size
      let troubled = false
      try {
        const batch = await sending
        for (const [taskId, outcome] of batch.outcomes) {
          if (outcome !== 'sent') drain.failed.set(taskId, outcome)
        }
        for (const job of claimed.jobs) {
          const outcome = batch.outcomes.get(job.taskId)!
          drain.settle.push(() => (outcome === 'sent' ? job.resolve('sent') : job.reject(outcome)))
        }
        troubled = drain.failed.size > failedBefore
      } catch (error) {
        for (const job of claimed.jobs) drain.settle.push(() => job.reject(error))
        troubled = true
      }
      if (troubled || this.options.closing()) {
        // Claimed before this batch failed, or before the worker began to close: let it go unsent
        const early = await next
        if (early) {
          await early.batch.release()
          this.#waiting.unshift(...early.jobs, ...early.alone)
        }
        if (troubled) drain.more = false
        next = this.#claimNext(drain)
      }
    }
    await Promise.all(
      drain.untaken.map(async (job) => {
        try {
          const outcome = await requeueUnlessDone(job.taskId)
          drain.settle.push(() => job.resolve(outcome))
        } catch (error) {
          drain.settle.push(() => job.reject(error))
        }
      })
    )
    for (const done of drain.settle) done()
  }

  /**
   * The drain's next batch, claimed and not sent: the jobs handed over since
   * the last one, and while batches come back full, the longest-waiting
   * check-ins. Null once nothing is left to try, or the worker closes.
   */
  async #claimNext(drain: DrainState): Promise<Claimed | null> {
    for (;;) {
      const fresh = this.#waiting.splice(0)
      const closing = this.options.closing()
      if (closing) drain.untaken.push(...fresh)
      if (closing || (fresh.length === 0 && !drain.more)) return null
      const toTry = fresh.filter((job) => {
        const error = drain.failed.get(job.taskId)
        if (error) drain.settle.push(() => job.reject(error))
        return !error
      })
      // Every job in hand already failed: nothing to try, and `more` is off since the failure
      if (toTry.length === 0 && drain.failed.size > 0) continue
      // Once an email failed (SMTP may be down), only the jobs in hand are tried
      const size =
        drain.failed.size > 0 ? toTry.length : this.options.batchSize() - this.#perRowInFlight
      try {
        const batch = await claimDueCheckins(toTry, Math.max(size, toTry.length))
        drain.more = drain.failed.size === 0 && batch.users >= size
        const taken = (job: Waiting) => batch.taskIds.has(job.taskId)
        return {
          batch,
          jobs: toTry.filter(taken),
          alone: toTry.filter((job) => !taken(job)),
        }
      } catch (error) {
        for (const job of toTry) drain.settle.push(() => job.reject(error))
        drain.more = false
      }
    }
  }

  /**
   * The per-row path, at once and beside the batches (a client's signal, a
   * user another delivery holds): such a job neither waits for the drain nor
   * holds it up.
   */
  #deliverAlone(job: Waiting) {
    this.#perRowInFlight++
    deliverCheckin(job.taskId, job.plainToken)
      .then(job.resolve, job.reject)
      .finally(() => this.#perRowInFlight--)
  }
}

/** A job the stopping worker did not start: back to the queue if its task still waits. */
async function requeueUnlessDone(taskId: number): Promise<BatchedOutcome> {
  const task = await db.from('checkin_tasks').where('id', taskId).select('status').first()
  return task?.status === 'scheduled' ? 'requeue' : 'skipped'
}
