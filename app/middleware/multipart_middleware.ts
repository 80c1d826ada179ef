import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'

const contents = new WeakMap<MultipartFile, Buffer>()

/**
 * File parts one request may carry, whatever their names: a body of
 * thousands of tiny parts is refused at the first one past it, the rest
 * unread.
 */
export const MAX_UPLOAD_FILES = 50

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
 * files hold at most the multipart limit (413 beyond), and go with it.
 */
export default class MultipartMiddleware {
  async handle({ request }: HttpContext, next: NextFn) {
    if (request.bodyType === 'multipart' && request.multipart.state === 'idle') {
      let files = 0
      request.multipart.onFile('*', {}, async (part, reportChunk) => {
        const chunks: Buffer[] = []
        try {
          if (++files > MAX_UPLOAD_FILES) {
            throw new PayloadTooLargeException(
              `The request carries more than ${MAX_UPLOAD_FILES} files; the limit is ${MAX_UPLOAD_FILES}`
            )
          }
          for await (const chunk of part) {
            // Counts the bytes against the limit: past it, the part errors
            reportChunk(chunk)
            chunks.push(chunk)
          }
          contents.set(part.file, Buffer.concat(chunks))
        } catch (error) {
          // A part that fails fails the request, as in the body parser's own processing
          request.multipart.abort(error)
        }
        return {}
      })
      await request.multipart.process()
    }
    return next()
  }
}
