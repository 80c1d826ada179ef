import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { UserFactory } from '#database/factories/user_factory'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import {
  sendToReceiver,
  sentRelanceEmailWithAddresses,
  startReceiver,
} from '#tests/helpers/inbound'
import { bigAttachment, rawBytes } from '#tests/helpers/hostile_mail'
import { processSceneForEach } from '#tests/helpers/running_app'
import { countRows } from '#tests/helpers/rows'
import { dayFromToday } from '#tests/helpers/calendar'

/** The process's resident memory, in MB (Linux). */
async function rssMegabytes(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
}

/** Samples a process's RSS until stopped; keeps the peak. */
function rssPeak(pid: number) {
  let peak = 0
  const timer = setInterval(async () => {
    peak = Math.max(peak, await rssMegabytes(pid).catch(() => 0))
  }, 20)
  return {
    stop() {
      clearInterval(timer)
      return peak
    },
  }
}

/** Messages of 10 MB in flight at once. */
const PARALLEL = 20
/**
 * What the receiver may hold above its idle size: 4 messages read and
 * stored at once (each in memory about three times: its chunks, the
 * joined copy, the driver's buffer), the others held back by TCP. Holding
 * all 20 would take some 600 MB.
 */
const BOUND_MB = 220

test.group('The receiver under load', (group) => {
  const scene = processSceneForEach(group)

  test(`${PARALLEL} messages of 10 MB at once: all stored, the receiver's memory bounded`, async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const invoice = await createScheduledInvoice(user, {
      dueDate: dayFromToday(-10),
    })
    const { replyAddress } = await sentRelanceEmailWithAddresses([invoice])
    const receiver = scene.track(await startReceiver())
    const message = rawBytes(bigAttachment(replyAddress, 10 * 1024 * 1024 - 4096))
    assert.isAbove(message.length, 10 * 1024 * 1024 - 4096)
    assert.isAtMost(message.length, 10 * 1024 * 1024)

    const idle = await rssMegabytes(receiver.pid)
    const sampler = rssPeak(receiver.pid)
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        sendToReceiver(receiver.port, {
          envelope: { from: 'a@client.test', to: replyAddress },
          raw: message,
        })
      )
    )
    const peak = sampler.stop()

    for (const answer of answers) assert.match(answer.response, /^250/)
    assert.equal(await countRows('inbound_messages'), PARALLEL)
    assert.isBelow(peak - idle, BOUND_MB, `idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`)
  }).timeout(120_000)
})
