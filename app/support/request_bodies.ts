import type { IncomingMessage } from 'node:http'

/**
 * The body of a request the body parser leaves alone (a raw message), read
 * to at most `limit` bytes; null past it (a Content-Length that says so is
 * believed before a byte is read). Nothing is inflated: the caller
 * refuses a Content-Encoding first.
 */
export async function readBoundedBody(
  request: IncomingMessage,
  limit: number
): Promise<Buffer | null> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return null
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of request) {
    length += (chunk as Buffer).length
    if (length > limit) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, length)
}
