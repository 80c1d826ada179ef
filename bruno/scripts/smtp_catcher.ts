/*
|--------------------------------------------------------------------------
| SMTP catcher for .ci/run (a Mailpit stand-in without Docker)
|--------------------------------------------------------------------------
|
| Listens on 127.0.0.1, accepts every message and writes, in the output
| directory:
|   port                  the port it listens on (written once listening)
|   mail-0001.txt …       each message: To, Subject, a blank line, the text
|   last-checkin-token    the token of the last check-in email's paid link
|
|   node --import=@poppinss/ts-exec bruno/scripts/smtp_catcher.ts --dir tmp/mail [--port 0]
|
| Port 0 (the default) picks a free port. SIGTERM/SIGINT stop it.
*/
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'tmp/smtp-catcher' },
    port: { type: 'string', default: '0' },
  },
})
const dir = resolve(values.dir!)
const CHECKIN_LINK = /\/api\/v1\/checkin\/([A-Za-z0-9_-]+)\/paid/

/** Writes through a temporary file so a reader never sees half a file. */
async function writeAtomically(file: string, content: string) {
  await writeFile(`${file}.tmp`, content)
  await rename(`${file}.tmp`, file)
}

let received = 0

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream)
      .then(async (mail) => {
        received += 1
        const to = [mail.to ?? []]
          .flat()
          .map((address) => address.text)
          .join(', ')
        const text = mail.text ?? ''
        const name = `mail-${String(received).padStart(4, '0')}.txt`
        await writeAtomically(
          join(dir, name),
          `To: ${to}\nSubject: ${mail.subject ?? ''}\n\n${text}`
        )
        const link = CHECKIN_LINK.exec(text)
        if (link) await writeAtomically(join(dir, 'last-checkin-token'), link[1])
        console.log(`smtp-catcher: ${name} to ${to}: ${mail.subject ?? ''}`)
        callback()
      })
      .catch((error: Error) => callback(error))
  },
})

await mkdir(dir, { recursive: true })
server.listen(Number(values.port), '127.0.0.1', async () => {
  const { port } = server.server.address() as AddressInfo
  await writeAtomically(join(dir, 'port'), String(port))
  console.log(`smtp-catcher: listening on 127.0.0.1:${port}, writing to ${dir}`)
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0))
    // An idle client connection must not hold the exit
    setTimeout(() => process.exit(0), 1_000).unref()
  })
}
