import { Worker } from 'node:worker_threads'
import InvalidDocumentException from '#exceptions/invalid_document_exception'

/**
 * Reads the Factur-X / ZUGFeRD invoice data (the CII XML attached to a PDF)
 * of uploaded PDFs, in a worker thread (facturx_worker.ts): the parsing
 * never holds the event loop, and a PDF that asks for more than the
 * worker's heap or deadline is refused, the worker replaced.
 */

/** The CII fields Relance imports, as the XML writes them. */
export type FacturXFields = {
  number: string | null
  typeCode: string | null
  buyerName: string | null
  buyerEmail: string | null
  currency: string | null
  duePayableAmount: string | null
  grandTotalAmount: string | null
  issueDate: string | null
  issueDateFormat: string | null
  dueDate: string | null
  dueDateFormat: string | null
}

export type FacturXResult =
  /** A PDF without Factur-X / ZUGFeRD data (no XML attached under its names). */
  | { kind: 'none' }
  | { kind: 'invoice'; xmlName: string; fields: FacturXFields }
  /** Not a PDF we read safely: why, in words. */
  | { kind: 'refused'; reason: string }

export type FacturXRequest = { id: number; bytes: Uint8Array }

// The source runs types stripped; the build runs the compiled file
const WORKER_FILE = new URL(
  import.meta.url.endsWith('.ts') ? './facturx_worker.ts' : './facturx_worker.js',
  import.meta.url
)

/** Reading one PDF takes milliseconds; a PDF that needs more is refused. */
export const READ_DEADLINE_MS = 5_000
/** The worker's JavaScript heap; decoded streams are bounded inside it. */
const WORKER_HEAP_MB = 96

function startWorker() {
  return new Worker(WORKER_FILE, {
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    stdout: true,
    stderr: true,
  })
}

/** One PDF read by the worker, within the deadline; the worker is gone when it failed. */
function readIn(worker: Worker, id: number, bytes: Uint8Array) {
  return new Promise<{ result: FacturXResult; workerDied: boolean }>((resolve) => {
    const settle = (result: FacturXResult, workerDied: boolean) => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      resolve({ result, workerDied })
    }
    const onMessage = (message: { id: number; result: FacturXResult }) => {
      if (message.id === id) settle(message.result, false)
    }
    const onError = (error: Error & { code?: string }) =>
      settle(
        {
          kind: 'refused',
          reason:
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? 'reading it needs more memory than a PDF invoice ever does'
              : 'it cannot be read as a PDF',
        },
        true
      )
    const onExit = () => settle({ kind: 'refused', reason: 'it cannot be read as a PDF' }, true)
    const timer = setTimeout(
      () =>
        settle(
          {
            kind: 'refused',
            reason: `reading it takes longer than ${READ_DEADLINE_MS / 1000} seconds`,
          },
          true
        ),
      READ_DEADLINE_MS
    )
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage({ id, bytes } satisfies FacturXRequest)
  })
}

/**
 * The Factur-X data of each PDF, in order, read one after the other. The
 * first PDF refused stops the reading: the import is refused (422) naming
 * that file, and nothing is stored.
 */
export async function readFacturXFiles(
  files: { clientName: string | null; bytes: Uint8Array }[]
): Promise<FacturXResult[]> {
  const results: FacturXResult[] = []
  let worker: Worker | null = null
  try {
    for (const [index, file] of files.entries()) {
      worker ??= startWorker()
      const { result, workerDied } = await readIn(worker, index, file.bytes)
      if (workerDied) {
        await worker.terminate()
        worker = null
      }
      if (result.kind === 'refused') {
        throw new InvalidDocumentException(
          `The file "${String(file.clientName ?? '').slice(0, 60)}" is refused: ${result.reason}`
        )
      }
      results.push(result)
    }
  } finally {
    await worker?.terminate()
  }
  return results
}
