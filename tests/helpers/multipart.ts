/**
 * A multipart/form-data body with one CSV file field named `file`, holding
 * `size` bytes of "a": for uploads over a size limit.
 */
export function multipartFileOfSize(boundary: string, filename: string, size: number) {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: text/csv\r\n\r\n'
    ),
    Buffer.alloc(size, 'a'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
}
