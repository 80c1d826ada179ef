import db from '@adonisjs/lucid/services/db'
import {
  deliverCheckin,
  deliverDueCheckins,
  type CheckinInHand,
  type DeliveryOutcome,
} from '#services/checkins/checkin_delivery'

/** What a check-in job ends with; `requeue`: the worker stops before its email started. */
export type BatchedOutcome = DeliveryOutcome | 'requeue'

type Waiting = CheckinInHand & {
  resolve(outcome: BatchedOutcome): void
  reject(error: unknown): void
}

/**
 * Sends the check-ins falling due in batches, one batch at a time per
 * process. A job handed to `deliver` wakes the drain, which sends a batch
 * (the jobs in hand first, then the longest-waiting check-ins) and goes on
 * while batches come back full: a 09:00 burst goes out at a few statements
 * per batch, its other jobs removed as their tasks go, instead of a claim,
 * a commit and a job per email.
 *
 * The jobs a batch took settle once the drain ends, so the worker fetches
 * no other job meanwhile (whose task a batch may be sending). A job no batch
 * took (a client's signal, its user held by another delivery, its invoice
 * held…) takes the per-row path at once, which decides as it always did;
 * its email counts among those in flight. Once the worker closes, no new
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
    const settle: Array<() => void> = []
    const untaken: Waiting[] = []
    // The tasks whose email failed in this drain: their jobs fail with that error, untried again
    const failed = new Map<number, Error>()
    let more = true
    for (;;) {
      const fresh = this.#waiting.splice(0)
      const closing = this.options.closing()
      if (closing) untaken.push(...fresh)
      if (closing || (fresh.length === 0 && !more)) break
      const toTry = fresh.filter((job) => {
        const error = failed.get(job.taskId)
        if (error) settle.push(() => job.reject(error))
        return !error
      })
      // Every job in hand already failed: nothing to try, and `more` is off since the failure
      if (toTry.length === 0 && failed.size > 0) continue
      try {
        // Once an email failed (SMTP may be down), only the jobs in hand are tried
        const size =
          failed.size > 0 ? toTry.length : this.options.batchSize() - this.#perRowInFlight
        const batch = await deliverDueCheckins(toTry, Math.max(size, toTry.length))
        for (const [taskId, outcome] of batch.outcomes) {
          if (outcome !== 'sent') failed.set(taskId, outcome)
        }
        for (const job of toTry) {
          const outcome = batch.outcomes.get(job.taskId)
          if (outcome === undefined) this.#deliverAlone(job)
          else if (outcome === 'sent') settle.push(() => job.resolve('sent'))
          else settle.push(() => job.reject(outcome))
        }
        more = failed.size === 0 && batch.users >= size
      } catch (error) {
        for (const job of toTry) settle.push(() => job.reject(error))
        more = false
      }
    }
    await Promise.all(
      untaken.map(async (job) => {
        try {
          const outcome = await requeueUnlessDone(job.taskId)
          settle.push(() => job.resolve(outcome))
        } catch (error) {
          settle.push(() => job.reject(error))
        }
      })
    )
    for (const done of settle) done()
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
