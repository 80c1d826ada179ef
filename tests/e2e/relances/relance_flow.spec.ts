import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import ActivityEvent from '#models/activity_event'
import Relance from '#models/relance'
import { getQueue } from '#queue/queues'
import sendRelanceJob, { relanceJob } from '#jobs/send_relance_job'
import { postInvoiceOn, registerVerifiedOn, type RunningApp } from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'

/** Brings a waiting relance forward to now and lets its job run at once. */
async function makeDueNow(relanceId: number) {
  await Relance.query()
    .where('id', relanceId)
    .update({ scheduled_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })
  const job = await getQueue('relances').getJob(sendRelanceJob.jobId(relanceId))
  if (!job) throw new Error(`relance ${relanceId} has no job`)
  await job.promote()
}

async function createInvoiceDueYesterday(app: RunningApp, token: string) {
  const created = await postInvoiceOn(app, token, { number: 'F-2026-202', amountCents: 99_000 })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return created.body.data as { id: number }
}

test.group('Relances end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('a due relance reaches the client, and none goes out once the check-in says paid', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const invoice = await createInvoiceDueYesterday(app, token)
    const [checkinMail] = await inbox.waitForMessageTo('camille@example.test')
    const [first, ...others] = await Relance.query()
      .where('invoice_id', invoice.id)
      .orderBy('sequence')

    await makeDueNow(first.id)

    const [relanceMail] = await inbox.waitForMessageTo('compta@acme.test')
    assert.equal(relanceMail.replyTo?.value[0].address, 'camille@example.test')
    assert.equal(relanceMail.from?.value[0].name, 'Camille Martin via Relance')
    assert.include(relanceMail.text, 'F-2026-202')
    assert.isFalse(Boolean(relanceMail.html))

    const click = await fetch(
      `${app.baseUrl}/api/v1/checkin/${checkinTokenFrom(checkinMail)}/paid`,
      { redirect: 'manual' }
    )
    assert.equal(click.status, 302)
    for (const relance of others) {
      await relance.refresh()
      assert.equal(relance.status, 'cancelled')
    }
    assert.deepEqual(await getQueue('relances').getJobs(['delayed', 'waiting']), [])

    // A job Redis still held for a cancelled relance runs and sends nothing
    const stale = relanceJob(others[0])
    await getQueue('relances').add(stale.name, stale.data, { ...stale.opts, delay: 0 })
    const settled = await waitFor('the stale relance job to finish', async () => {
      const job = await getQueue('relances').getJob(stale.opts.jobId)
      // One read: the state and the return value of the same snapshot
      return job?.finishedOn ? job : undefined
    })
    assert.equal(settled.returnvalue, 'skipped')
    // The client got the one relance, then the thank-you for the payment, and nothing else
    await inbox.waitForMessageTo('compta@acme.test', { count: 2 })
    assert.deepEqual(
      inbox.to('compta@acme.test').map((mail) => mail.subject),
      [relanceMail.subject, 'Merci pour votre règlement : facture F-2026-202']
    )
  })

  test('a relance the client mailbox refuses for good is marked failed with the reason', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'dominique@example.test', 'Dominique Petit')
    const invoice = await createInvoiceDueYesterday(app, token)
    await inbox.waitForMessageTo('dominique@example.test')
    const first = await Relance.query()
      .where('invoice_id', invoice.id)
      .where('sequence', 1)
      .firstOrFail()
    inbox.refuseWith = 550

    await makeDueNow(first.id)

    await waitFor('the relance to be failed', async () => {
      await first.refresh()
      return first.status === 'failed'
    })
    assert.equal(first.failureReason, "the client's mail server refused the address")
    const event = await ActivityEvent.query().where('type', 'relance_failed').firstOrFail()
    assert.equal(event.invoiceId, invoice.id)
    assert.lengthOf(inbox.to('compta@acme.test'), 0)
  })
})
