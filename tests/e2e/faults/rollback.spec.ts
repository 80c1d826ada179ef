import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#database/factories/user_factory'
import CheckinTask from '#models/checkin_task'
import Relance from '#models/relance'
import sendRelanceJob from '#jobs/send_relance_job'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { createInvoice } from '#services/invoices/create_invoices'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

/** The job ids of an invoice's relances. */
async function witnessRelanceJobIds(invoiceId: number) {
  const relances = await Relance.query().where('invoice_id', invoiceId)
  return relances.map((relance) => sendRelanceJob.jobId(relance.id))
}

/** Every job of both queues, whatever its state. */
async function allJobIds() {
  const ids: string[] = []
  for (const name of ['checkins', 'relances'] as const) {
    const jobs = await getQueue(name).getJobs([
      'waiting',
      'delayed',
      'prioritized',
      'active',
      'completed',
      'failed',
    ])
    ids.push(...jobs.map((job) => job.id!))
  }
  return ids.sort()
}

test.group('Faults: a transaction rolls back after scheduling', (group) => {
  const scene = processSceneForEach(group)

  test('nothing reaches Redis, and the worker never sends anything for it', async ({ assert }) => {
    const { inbox } = scene
    const dueDate = dayFromToday(-1)
    const rolledBack = await UserFactory.merge({ email: 'rolled-back@example.test' }).create()
    await scene.startWorker()

    const attempt = db.transaction(async (trx) => {
      await createInvoice(
        rolledBack,
        {
          number: 'F-ROLLBACK',
          clientName: 'Acme',
          clientEmail: 'billing@acme.test',
          amountCents: 10_000,
          dueDate,
        },
        trx
      )
      throw new Error('something later in the transaction failed')
    })

    await assert.rejects(() => attempt, 'something later in the transaction failed')
    assert.deepEqual(await allJobIds(), [])
    for (const table of ['invoices', 'clients', 'checkin_tasks', 'relances', 'activity_events']) {
      assert.equal(await countRows(table), 0, table)
    }

    // Another invoice due now proves the worker ran meanwhile
    // Without the check-in before each relance: its jobs are exactly the invoice's
    const witness = await UserFactory.merge({
      email: 'witness@example.test',
      checkinBeforeEachRelance: false,
    }).create()
    const invoice = await createScheduledInvoice(witness, { dueDate })
    await inbox.waitForMessageTo('witness@example.test')

    const task = await CheckinTask.findByOrFail('invoice_id', invoice.id)
    await waitFor('the witness job to complete', async () => {
      const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
      return job && (await job.isCompleted())
    })
    assert.lengthOf(inbox.messages, 1)
    assert.lengthOf(inbox.to('rolled-back@example.test'), 0)
    // Redis only ever held the witness's jobs, and ran its check-in only
    assert.deepEqual(
      await allJobIds(),
      [sendCheckinJob.jobId(task.id), ...(await witnessRelanceJobIds(invoice.id))].sort()
    )
    const completed = await getQueue('checkins').getJobs(['completed'])
    assert.deepEqual(
      completed.map((job) => job.id),
      [sendCheckinJob.jobId(task.id)]
    )
  })
})
