/*
| The mail baseline: nodemailer with a connection pool sending given messages
| to an SMTP server, `concurrency` at a time, and nothing else (no database,
| no queue, no template). Started by the bench as its own process:
|
|   baseline_mailer.ts <messages.json> <smtpPort> <concurrency> [startAtEpochMs]
|
| messages.json holds [{to, subject, text}]. With startAtEpochMs, it waits
| until then before the first send. Prints READY, then a JSON line at the end:
| {sent, ms, cpuMs}, cpuMs its CPU time (user + system) from the first send.
| Its sockets have Nagle's algorithm off, like the app's (config/mail.ts).
*/
import { readFile } from 'node:fs/promises'
import { rawTransport } from './raw_connections.js'

const [file, port, concurrencyArgument, startAt] = process.argv.slice(2)
const messages: { to: string; subject: string; text: string }[] = JSON.parse(
  await readFile(file, 'utf8')
)
const concurrency = Number(concurrencyArgument)
const transport = rawTransport(Number(port), concurrency)
const from = { address: 'no-reply@relance.test', name: 'Relance' }

console.log('READY {}')
if (startAt) {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())))
}
const started = Date.now()
const cpuAtStart = process.cpuUsage()
let next = 0
async function sender() {
  while (next < messages.length) {
    const message = messages[next++]
    await transport.sendMail({ from, ...message })
  }
}
await Promise.all(Array.from({ length: concurrency }, sender))
transport.close()
const cpu = process.cpuUsage(cpuAtStart)
console.log(
  JSON.stringify({
    sent: messages.length,
    ms: Date.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })
)
