import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Relance from '#models/relance'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import { callApi, postInvoiceOn, registerVerifiedOn } from '#tests/helpers/app_processes'
import { dayFromToday } from '#tests/helpers/calendar'
import { checkinPage, checkinTokensIn } from '#tests/helpers/checkin_links'
import { relancesDueNow } from '#tests/helpers/faults'
import { PgBouncer } from '#tests/helpers/pgbouncer'
import { countRows } from '#tests/helpers/rows'
import { ProcessScene } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { queuesIdle } from '#tests/helpers/state'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

const click = (app: { baseUrl: string }, token: string, answer: 'paid' | 'pending') =>
  fetch(`${app.baseUrl}/api/v1/checkin/${token}/${answer}`, { redirect: 'manual' })

/** The relances of an invoice by status, as the API shows them. */
async function relanceStatuses(invoiceId: number) {
  const relances = await Relance.query().where('invoice_id', invoiceId).orderBy('sequence')
  return relances.map((relance) => relance.status)
}

test.group('Scale: PgBouncer in transaction pooling mode', (group) => {
  const scene = new ProcessScene()
  let bouncer: PgBouncer
  group.each.setup(async () => {
    // Few server connections for web + worker: each transaction borrows one
    bouncer = scene.stopAfterProcesses(await PgBouncer.start({ poolSize: 4 }))
    await scene.setUp({
      ...bouncer.env,
      CHECKIN_PAST_DUE_DELAY_MS: '200',
      QUEUE_RECONCILE_GRACE_SECONDS: '0',
      QUEUE_RECONCILE_INTERVAL_MS: '500',
    })
    return () => scene.tearDown()
  })

  test('create, check-in email once, the paid click, relances sent then cancelled', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const created = await postInvoiceOn(app, token, { number: 'PGB-1', amountCents: 120_000 })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const invoiceId = created.body.data.id as number
    assert.deepEqual(await relanceStatuses(invoiceId), ['scheduled', 'scheduled', 'scheduled'])

    const [checkin] = await inbox.waitForMessageTo('camille@example.test')
    assert.include(checkin.text, 'PGB-1')
    // The first relance comes due: it reaches the client once
    await relancesDueNow([invoiceId], [1])
    const [relance] = await inbox.waitForMessageTo('compta@acme.test')
    assert.include(relance.text, 'PGB-1')
    await waitFor('the relance row sent and the queues idle', async () => {
      const statuses = await relanceStatuses(invoiceId)
      return statuses[0] === 'sent' && (await queuesIdle())
    })

    const paid = await click(app, checkinTokenFrom(checkin), 'paid')
    assert.equal(paid.headers.get('location'), checkinPage('paid'))
    const invoice = await callApi(app, 'GET', `/invoices/${invoiceId}`, { token })
    assert.equal(invoice.body.data.status, 'paid')
    assert.equal(invoice.body.data.paidVia, 'checkin')
    assert.deepEqual(await relanceStatuses(invoiceId), ['sent', 'cancelled', 'cancelled'])
    assert.deepEqual(await getQueue('relances').getJobs(['delayed', 'waiting']), [])
    const me = await callApi(app, 'GET', '/me', { token })
    assert.equal(me.body.data.rubis, 1)

    // The thank-you follows the payment; nothing else goes out, nothing twice
    await inbox.waitForMessageTo('compta@acme.test', { count: 2 })
    await holdsFor(
      'one check-in, one relance, one thank-you',
      () =>
        inbox.to('camille@example.test').length === 1 &&
        inbox.to('compta@acme.test').length === 2 &&
        inbox.messages.length === 3,
      { forMs: 1_500 }
    )
  })

  test('a CSV import validated, one digest, a lost relance job rebuilt by the reconciler', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'dominique@example.test')
    const yesterday = dayFromToday(-1).toISODate()
    const csv = [
      'Number,Client Name,Client Email,Amount,Due Date',
      ...[1, 2, 3].map(
        (n) => `CSV-${n},Client ${n},client-${n}@example.test,${n}00.00,${yesterday}`
      ),
    ].join('\n')
    const form = new FormData()
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'invoices.csv')
    const upload = await fetch(`${app.baseUrl}/api/v1/import-batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    const draft: any = await upload.json()
    assert.equal(upload.status, 201, JSON.stringify(draft))
    const validated = await callApi(app, 'POST', `/import-batches/${draft.data.id}/validate`, {
      token,
    })
    assert.equal(validated.status, 200, JSON.stringify(validated.body))
    assert.equal(await countRows('invoices'), 3)

    // One check-in email lists the three invoices
    await waitFor('the 3 check-ins sent and the queues idle', async () => {
      return (await countRows('checkin_tasks', { status: 'sent' })) === 3 && (await queuesIdle())
    })
    const [digest] = await inbox.waitForMessageTo('dominique@example.test')
    for (const n of [1, 2, 3]) assert.include(digest.text, `CSV-${n}`)
    assert.lengthOf(checkinTokensIn(digest.text ?? ''), 3)

    // Redis loses a relance's job: the reconciler (every 500 ms, through
    // PgBouncer) puts it back under the same id, and it sends once
    const invoiceRows = await db.from('invoices').orderBy('number').select('id')
    const invoiceIds: number[] = invoiceRows.map((row: { id: number }) => row.id)
    const [lost] = await Relance.query().where('invoice_id', invoiceIds[2]).where('sequence', 1)
    const jobId = sendRelanceJob.jobId(lost.id)
    const relances = getQueue('relances')
    await (await relances.getJob(jobId))!.remove()
    assert.isUndefined(await relances.getJob(jobId))
    await waitFor('the reconciler to re-enqueue the lost job', () => relances.getJob(jobId), {
      timeoutMs: 20_000,
    })
    await relancesDueNow([invoiceIds[2]], [1])
    await inbox.waitForMessageTo('client-3@example.test')
    await waitFor('the relance row sent and the queues idle', async () => {
      await lost.refresh()
      return lost.status === 'sent' && (await queuesIdle())
    })
    await holdsFor(
      'one digest and one relance, nothing twice',
      () => inbox.messages.length === 2 && inbox.to('client-3@example.test').length === 1,
      { forMs: 1_500 }
    )
  })
})
