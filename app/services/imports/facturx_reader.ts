import { Worker } from 'node:worker_threads'
import InvalidDocumentException from '#exceptions/invalid_document_exception'

/**
 * Reads the Factur-X / ZUGFeRD invoice data (the CII XML attached to a PDF)
 * of uploaded PDFs, in worker threads kept across imports (facturx_worker.ts):
 * the parsing never holds the event loop, and a PDF that asks for more than
 * the worker's heap or deadline is refused, the worker replaced.
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
/**
 * A worker whose heap is past this after a read is replaced: pdf-lib
 * interns every name and reference a PDF has, for the worker's lifetime,
 * so a crafted PDF can leave tens of MB behind, and the next PDF, another
 * user's maybe, must have room: every read starts with 32 MB free at least.
 * (Reading the samples in turn, the heap floats between 12 and 45 MB,
 * garbage included.)
 */
const WORKER_KEPT_HEAP_BYTES = 64 * 1024 * 1024
/** Workers kept: as many as the imports a web process reads at once (inImportLine). */
const POOL_SIZE = 2

/*
 * The workers are kept from one import to the next: starting one and
 * loading pdf-lib into it costs about 0.5 s of CPU, more than reading 50
 * PDFs in a warm one. An import takes one of the pool's places, and its
 * worker, started then if the place has none. A worker that fails (out of
 * memory, past the deadline, exited) or keeps too much is terminated and
 * forgotten, and a fresh one is started for the next PDF.
 */
const freePlaces: (Worker | null)[] = Array.from({ length: POOL_SIZE }, () => null)
const waiting: ((worker: Worker | null) => void)[] = []
const running = new WeakSet<Worker>()

function startWorker() {
  const worker = new Worker(WORKER_FILE, {
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    // Kept out of the web's output, and not read: reading them would hold the process
    // open; the worker's console is silenced, so nothing piles up there
    stdout: true,
    stderr: true,
  })
  running.add(worker)
  // An idle worker never holds the process open; a read holds it by its deadline timer
  worker.unref()
  // A read listens for its own failure; this keeps one between reads from being thrown
  worker.on('error', () => {})
  worker.once('exit', () => running.delete(worker))
  return worker
}

/** A place in the pool, with its worker if it has one, waiting while every place is taken. */
function takePlace(): Promise<Worker | null> {
  if (freePlaces.length === 0) return new Promise((resolve) => waiting.push(resolve))
  // A place whose worker is warm first
  const at = freePlaces.findIndex((worker) => worker !== null)
  return Promise.resolve(freePlaces.splice(Math.max(at, 0), 1)[0])
}

/** Gives back a place, with its worker when that one still runs. */
function givePlaceBack(worker: Worker | null) {
  const kept = worker && running.has(worker) ? worker : null
  const next = waiting.shift()
  if (next) next(kept)
  else freePlaces.push(kept)
}

export type FacturXReply = { id: number; result: FacturXResult; heapBytes: number }

type Read = {
  result: FacturXResult
  /** The worker is no longer fit to read: it failed, or keeps too much. */
  retire: boolean
}

let nextId = 0

/** One PDF read by the worker, within the deadline. */
function readIn(worker: Worker, bytes: Uint8Array) {
  const id = nextId++
  return new Promise<Read>((resolve) => {
    const settle = (read: Read) => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      resolve(read)
    }
    const onMessage = (message: FacturXReply) => {
      if (message.id !== id) return
      settle({ result: message.result, retire: message.heapBytes > WORKER_KEPT_HEAP_BYTES })
    }
    const onError = (error: Error & { code?: string }) =>
      settle({
        result: {
          kind: 'refused',
          reason:
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? 'reading it needs more memory than a PDF invoice ever does'
              : 'it cannot be read as a PDF',
        },
        retire: true,
      })
    const onExit = () =>
      settle({
        result: { kind: 'refused', reason: 'it cannot be read as a PDF' },
        retire: true,
      })
    const timer = setTimeout(
      () =>
        settle({
          result: {
            kind: 'refused',
            reason: `reading it takes longer than ${READ_DEADLINE_MS / 1000} seconds`,
          },
          retire: true,
        }),
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
  let worker = await takePlace()
  try {
    for (const file of files) {
      if (!worker || !running.has(worker)) worker = startWorker()
      const read = await readIn(worker, file.bytes)
      if (read.retire) {
        await worker.terminate()
        worker = null
      }
      if (read.result.kind === 'refused') {
        throw new InvalidDocumentException(
          `The file "${String(file.clientName ?? '').slice(0, 60)}" is refused: ${read.result.reason}`
        )
      }
      results.push(read.result)
    }
  } finally {
    givePlaceBack(worker)
  }
  return results
}
