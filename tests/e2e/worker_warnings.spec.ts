import { test } from '@japa/runner'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { firstRelancesDueNow } from '#tests/helpers/faults'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

test.group('The worker', (group) => {
  const scene = processSceneForEach(group)

  test('sends a check-in digest and a grouped relance without a deprecation warning', async ({
    assert,
  }) => {
    // A deprecation throws: a statement started on a transaction's connection
    // while another runs there (pg warns, pg 9 refuses) fails the job
    const worker = await scene.startWorker({}, { nodeFlags: ['--throw-deprecation'] })
    const user = await UserFactory.merge({ email: 'camille@example.test' }).create()
    const dueDate = dayFromToday(-1)
    const invoices = []
    for (const number of ['W-1', 'W-2']) {
      invoices.push(
        await createScheduledInvoice(user, { number, dueDate, clientEmail: 'compta@acme.test' })
      )
    }

    // One digest; sending it schedules the check-in before each invoice's next relance
    const [digest] = await scene.inbox.waitForMessageTo('camille@example.test')
    assert.include(digest.subject, '2 factures')
    await firstRelancesDueNow(invoices.map((invoice) => invoice.id))
    // One email to the client for both relances
    const [relanceMail] = await scene.inbox.waitForMessageTo('compta@acme.test')
    assert.include(relanceMail.text, 'W-1')
    assert.include(relanceMail.text, 'W-2')
    await waitFor('both first relances sent', async () => {
      const sent = await Relance.query().where('sequence', 1).where('status', 'sent')
      return sent.length === 2
    })

    assert.notInclude(worker.output, 'DeprecationWarning')
    assert.notInclude(worker.output, 'already executing a query')
  }).timeout(60_000)
})
