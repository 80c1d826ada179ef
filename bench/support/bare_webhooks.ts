/*
| The webhook baseline: a bare loop, `concurrency` at a time, over the
| scheduled deliveries: each POSTed with fetch and the Standard Webhooks
| signature of its payload (standardwebhooks), then marked delivered by one
| UPDATE. No queue, no lease, no attempt log. Args: <secret> <concurrency>.
| Prints its JSON result (deliveries, CPU ms) and exits.
*/
import { Webhook } from 'standardwebhooks'
import { rawPool } from './raw_connections.js'

const [secret, concurrency] = [process.argv[2], Number(process.argv[3])]
const pool = rawPool()
const signer = new Webhook(secret)
const { rows } = await pool.query(
  `SELECT d.id, d.message_id, d.payload::text AS body, e.url
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'scheduled' ORDER BY d.id`
)
const cpuBefore = process.cpuUsage()
let next = 0
async function lane() {
  while (next < rows.length) {
    const row = rows[next++]
    const at = new Date()
    const answer = await fetch(row.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': row.message_id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(row.message_id, at, row.body),
      },
      body: row.body,
    })
    await answer.text()
    if (answer.ok) {
      await pool.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, updated_at = now() WHERE id = $1`,
        [row.id]
      )
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane))
const cpu = process.cpuUsage(cpuBefore)
await pool.end()
console.log(JSON.stringify({ deliveries: rows.length, cpuMs: (cpu.user + cpu.system) / 1000 }))
