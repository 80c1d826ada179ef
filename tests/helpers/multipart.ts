import { request as httpRequest } from 'node:http'
import env from '#start/env'

/** The opening of a multipart/form-data body: the headers of one file field `file`. */
export function multipartHead(boundary: string, filename: string) {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      'Content-Type: text/csv\r\n\r\n'
  )
}

/** A multipart/form-data body with one CSV file field named `file`. */
export function multipartFile(boundary: string, filename: string, content: Buffer) {
  return Buffer.concat([
    multipartHead(boundary, filename),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
}

export type Part = { field: string; filename: string; content: Buffer; contentType?: string }

/** A multipart/form-data body of several file parts, in order. */
export function multipartParts(boundary: string, parts: Part[]) {
  return Buffer.concat([
    ...parts.flatMap(({ field, filename, content, contentType = 'application/pdf' }) => [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
          `Content-Type: ${contentType}\r\n\r\n`
      ),
      content,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ])
}

/** A multipart body whose file holds `size` bytes of "a": for uploads over a size limit. */
export function multipartFileOfSize(boundary: string, filename: string, size: number) {
  return multipartFile(boundary, filename, Buffer.alloc(size, 'a'))
}

/**
 * POSTs to the test server with node:http and keeps the answer a server may
 * send before it has read the whole body (the API client reports the broken
 * pipe instead).
 */
export function postKeepingEarlyAnswer(
  path: string,
  body: Buffer,
  headers: Record<string, string>
) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    let answered = false
    const request = httpRequest(
      `http://${env.get('HOST')}:${env.get('PORT')}${path}`,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } },
      (response) => {
        answered = true
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }))
      }
    )
    request.on('error', (error) => {
      if (!answered) reject(error)
    })
    request.end(body)
  })
}
