import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import drive from '@adonisjs/drive/services/main'
import logger from '@adonisjs/core/services/logger'
import StorageUnavailableException from '#exceptions/storage_unavailable_exception'

/**
 * Invoice documents in Drive (DRIVE_DISK: the app's storage/ folder, or an
 * S3 bucket). Keys are made here, from the user's id and a random UUID,
 * never from anything a request sent: `documents/<user id>/<uuid>.pdf`.
 */

const disk = () => drive.use()

/**
 * One call to the document store; its failure (S3 down or refusing, a disk
 * full) is a 503 naming what failed, the store's own error logged: never
 * a bare 500, and never its text in the answer.
 */
async function stored<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    logger.error({ err: error, key }, `the document store failed to ${what}`)
    throw new StorageUnavailableException(
      `The document store did not answer (${what}): nothing was changed, try again in a moment`,
      { cause: error }
    )
  }
}

/** A fresh key for one of the user's documents. */
export function newDocumentKey(userId: number) {
  return `documents/${userId}/${randomUUID()}.pdf`
}

/**
 * Writes the files, all at once (one after the other, an import's 50 PDFs
 * were 50 round trips to S3, 25 ms on a local disk against 10), then runs
 * `work` (the transaction that records them).
 * When a write or `work` fails, every file is deleted again once all the
 * writes have settled, so a failed request leaves no file behind.
 */
export async function withStoredDocuments<T>(
  userId: number,
  files: Uint8Array[],
  work: (keys: string[]) => Promise<T>
): Promise<T> {
  const keys = files.map(() => newDocumentKey(userId))
  try {
    const writes = await Promise.allSettled(
      keys.map((key, index) =>
        stored('store a document', key, () =>
          disk().put(key, files[index], { contentType: 'application/pdf' })
        )
      )
    )
    const failed = writes.find((write) => write.status === 'rejected')
    if (failed) throw failed.reason
    return await work(keys)
  } catch (error) {
    await removeDocuments(keys)
    throw error
  }
}

/**
 * Deletes stored documents, once the rows that held them are gone. A
 * failure is logged, not thrown: the change it follows is committed.
 */
export async function removeDocuments(keys: string[]) {
  await Promise.all(
    keys.map(async (key) => {
      try {
        await disk().delete(key)
      } catch (error) {
        logger.error({ err: error, key }, 'could not delete a stored document')
      }
    })
  )
}

/** A stored document's bytes, streamed. */
export function documentStream(key: string): Promise<Readable> {
  return stored('read a document', key, () => disk().getStream(key))
}

export function documentExists(key: string): Promise<boolean> {
  return stored('find a document', key, () => disk().exists(key))
}

/** A stored document's bytes; null when the file is gone from the storage. */
export async function documentBytes(key: string): Promise<Uint8Array | null> {
  if (!(await documentExists(key))) return null
  return stored('read a document', key, () => disk().getBytes(key))
}
