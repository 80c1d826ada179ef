/*
| BullMQ jobs added without the app, for the baselines: the same names,
| options and payload sizes as the app's own jobs.
*/
import { randomBytes } from 'node:crypto'
import type { Queue } from 'bullmq'

type BulkJob = Parameters<Queue['addBulk']>[0][number]

/** `addBulk` by `chunk` items, one chunk after the other; each chunk's jobs built as it is sent. */
export async function addBulkInChunks<T>(
  queue: Queue,
  items: T[],
  chunk: number,
  job: (item: T) => BulkJob
) {
  for (let start = 0; start < items.length; start += chunk) {
    await queue.addBulk(items.slice(start, start + chunk).map(job))
  }
}

/** A check-in job's data, with random characters of the app's length for the encrypted token. */
export function checkinJobData(task: { id: number; invoice_id: number }, tokenLength: number) {
  return {
    taskId: task.id,
    invoiceId: task.invoice_id,
    encryptedToken: randomBytes(tokenLength).toString('base64url').slice(0, tokenLength),
  }
}
