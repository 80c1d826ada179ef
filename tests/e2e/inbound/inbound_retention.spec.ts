import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'

const DAY_MS = 86_400_000

/** A message processed `days` ago, as processing leaves its row. */
async function processedMessage(days: number) {
  const at = new Date(Date.now() - days * DAY_MS)
  const [row] = await db
    .table('inbound_messages')
    .insert({
      received_at: at,
      source: 'smtp',
      recipient: 'reply+token@inbound.relance.test',
      envelope_from: 'compta@acme.test',
      raw: Buffer.from('Subject: Paid\r\n\r\nWe paid.\r\n'),
      kind: 'reply',
      summary: JSON.stringify({ outcome: 'held' }),
      processed_at: at,
      created_at: at,
      updated_at: at,
    })
    .returning('id')
  return row.id as number
}

test.group('Inbound retention in the worker', (group) => {
  const scene = processSceneForEach(group)

  test('a started worker drops the raw bytes of messages past INBOUND_RAW_RETENTION_DAYS, and only those', async ({
    assert,
  }) => {
    const retention = env.get('INBOUND_RAW_RETENTION_DAYS')
    const old = await processedMessage(retention + 1)
    const recent = await processedMessage(retention - 1)

    await scene.startWorker()

    const dropped = await waitFor('the old message to lose its raw bytes', async () => {
      const row = await db.from('inbound_messages').where('id', old).firstOrFail()
      return row.raw === null ? row : undefined
    })
    assert.deepEqual(dropped.summary, { outcome: 'held' })
    const kept = await db.from('inbound_messages').where('id', recent).firstOrFail()
    assert.isNotNull(kept.raw)
  })
})
