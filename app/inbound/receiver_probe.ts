import { createConnection } from 'node:net'

/**
 * Whether an SMTP receiver answers at host:port: its greeting (`220 …`)
 * within `timeoutMs`, or why not (refused, silent, another greeting).
 */
export function probeSmtpReceiver(
  host: string,
  port: number,
  timeoutMs = 2_000
): Promise<{ up: boolean; detail: string }> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    let received = ''
    const done = (result: { up: boolean; detail: string }) => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () =>
      done({ up: false, detail: `no greeting within ${timeoutMs} ms` })
    )
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ up: false, detail: error.code ?? error.message })
    )
    socket.on('data', (chunk) => {
      received += chunk
      if (!received.includes('\n')) return
      const greeting = received.split(/\r?\n/)[0].slice(0, 120)
      socket.end('QUIT\r\n')
      done({ up: greeting.startsWith('220'), detail: greeting })
    })
  })
}
