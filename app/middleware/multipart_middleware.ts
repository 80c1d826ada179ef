import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import bodyParserConfig from '#config/bodyparser'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'

const contents = new WeakMap<MultipartFile, Buffer>()

/** Any one uploaded file: a CSV import, a PDF. */
export const MAX_UPLOAD_FILE_BYTES = 5 * 1024 * 1024

/**
 * File parts one request may carry, whatever their names (the PDFs of an
 * import): a body of thousands of tiny parts is refused at the first one
 * past it, the rest unread.
 */
export const MAX_UPLOAD_FILES = 50

/**
 * The files of one request together, for the routes that take more than
 * the body parser's multipart limit: up to 50 PDFs to import.
 */
const LARGER_UPLOADS: Record<string, string> = {
  'POST /api/v1/import-batches': '50mb',
}

/** The limit of all the files of this request together, as written in the config ("8mb"). */
export function uploadLimitOf({ request, route }: Pick<HttpContext, 'request' | 'route'>) {
  const key = `${request.method()} ${route?.pattern}`
  return LARGER_UPLOADS[key] ?? String(bodyParserConfig.multipart.limit)
}

const megabytes = (bytes: number) => `${bytes / 1024 / 1024} MB`

/** The bytes of a file of the request's multipart body. */
export function uploadedBytes(file: MultipartFile): Buffer {
  const bytes = contents.get(file)
  if (!bytes) throw new Error(`The upload "${file.fieldName}" was not read`)
  return bytes
}

/**
 * Reads multipart bodies, their files kept in memory. The body parser's own
 * processing, turned off in config/bodyparser.ts, writes every file to the
 * OS temp directory and never deletes it, not even for a request refused,
 * throttled or dropped halfway. Here nothing reaches the disk: a request's
 * files hold at most the limits above (413 at the first byte or part past
 * one, the rest unread), and go with it.
 */
export default class MultipartMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const { request } = ctx
    if (request.bodyType === 'multipart' && request.multipart.state === 'idle') {
      let files = 0
      request.multipart.onFile('*', {}, async (part, reportChunk) => {
        const chunks: Buffer[] = []
        let size = 0
        try {
          if (++files > MAX_UPLOAD_FILES) {
            throw new PayloadTooLargeException(
              `The request carries more than ${MAX_UPLOAD_FILES} files; the limit is ${MAX_UPLOAD_FILES}`
            )
          }
          for await (const chunk of part) {
            // Counts the bytes against the request's limit: past it, the part errors
            reportChunk(chunk)
            size += chunk.length
            if (size > MAX_UPLOAD_FILE_BYTES) {
              const name = String(part.file.clientName ?? '').slice(0, 60)
              throw new PayloadTooLargeException(
                `The file "${name}" is over the ${megabytes(MAX_UPLOAD_FILE_BYTES)} limit for one file`
              )
            }
            chunks.push(chunk)
          }
          contents.set(part.file, Buffer.concat(chunks))
        } catch (error) {
          // A part that fails fails the request, as in the body parser's own processing
          request.multipart.abort(error)
        }
        return {}
      })
      await request.multipart.process({ limit: uploadLimitOf(ctx) })
    }
    return next()
  }
}
