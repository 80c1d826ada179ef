import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type { ParsedMail } from 'mailparser'
import User from '#models/user'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import { createInvoices } from '#services/invoices/create_invoices'
import { checkinPage } from '#tests/helpers/checkin_links'
import { callApi, registerVerifiedOn } from '#tests/helpers/app_processes'
import { invoiceStatusOf } from '#tests/helpers/invoices'
import { dueIn } from '#tests/helpers/invoice_requests'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { queuesIdle } from '#tests/helpers/state'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

/** The [paid, pending] link pairs of a check-in email, in order. */
function linkPairsOf(mail: ParsedMail) {
  const text = mail.text ?? ''
  const paid = [...text.matchAll(/(http\S+\/checkin\/[A-Za-z0-9_-]+\/paid)/g)].map((m) => m[1])
  const pending = [...text.matchAll(/(http\S+\/checkin\/[A-Za-z0-9_-]+\/pending)/g)].map(
    (m) => m[1]
  )
  return paid.map((link, index) => ({ paid: link, pending: pending[index] }))
}

/** Every check-in task sent and nothing left to run: the worker is done. */
async function allCheckinsSent(count: number) {
  return (await countRows('checkin_tasks', { status: 'sent' })) === count && (await queuesIdle())
}

/** `count` invoices of the user due yesterday, written in one transaction as an import does. */
function invoicesDueYesterday(user: User, count: number) {
  const dueDate = dayFromToday(-1)
  return db.transaction((trx) =>
    createInvoices(
      user,
      Array.from({ length: count }, (_, index) => ({
        number: `B-${index + 1}`,
        clientName: 'Acme SAS',
        clientEmail: `client-${index + 1}@example.test`,
        amountCents: 50_000 + index,
        dueDate,
      })),
      trx
    )
  )
}

const click = (link: string) => fetch(link, { redirect: 'manual' })

test.group('Check-in digest end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('an import of 3 invoices past due sends one email whose links each answer their own invoice', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const yesterday = dueIn(-1)
    const draft = await callApi(app, 'POST', '/import-batches', {
      token,
      body: {
        rows: [1, 2, 3].map((n) => ({
          number: `IMP-${n}`,
          clientName: `Client ${n}`,
          clientEmail: `client-${n}@example.test`,
          amountCents: 10_000 * n,
          dueDate: yesterday,
        })),
      },
    })
    assert.equal(draft.status, 201, JSON.stringify(draft.body))
    const validated = await callApi(app, 'POST', `/import-batches/${draft.body.data.id}/validate`, {
      token,
    })
    assert.equal(validated.status, 200, JSON.stringify(validated.body))

    await waitFor('the 3 check-ins to be sent and the queues idle', () => allCheckinsSent(3))
    await holdsFor(
      'one check-in email, and no other',
      () => inbox.to('camille@example.test').length === 1 && inbox.messages.length === 1,
      { forMs: 5_000 }
    )

    const [mail] = inbox.messages
    for (const n of [1, 2, 3]) assert.include(mail.text, `IMP-${n}`)
    const pairs = linkPairsOf(mail)
    assert.lengthOf(pairs, 3)
    assert.lengthOf(new Set(pairs.flatMap((pair) => [pair.paid, pair.pending])), 6)

    // Links come in the email's order: IMP-1, IMP-2, IMP-3
    const list = await callApi(app, 'GET', '/invoices?perPage=10', { token })
    const idOf = (number: string) =>
      list.body.data.find((invoice: { number: string }) => invoice.number === number).id as number

    const paid = await click(pairs[0].paid)
    assert.equal(paid.headers.get('location'), checkinPage('paid'))
    assert.equal(await invoiceStatusOf(idOf('IMP-1')), 'paid')
    assert.equal(await invoiceStatusOf(idOf('IMP-2')), 'pending')
    assert.equal(await invoiceStatusOf(idOf('IMP-3')), 'pending')

    const pending = await click(pairs[1].pending)
    assert.equal(pending.headers.get('location'), checkinPage('pending'))
    const second = await CheckinTask.query()
      .where('invoice_id', idOf('IMP-2'))
      .where('status', 'answered')
      .firstOrFail()
    assert.equal(second.answer, 'still_pending')
    assert.equal(await invoiceStatusOf(idOf('IMP-2')), 'pending')
    const third = await CheckinTask.query().where('invoice_id', idOf('IMP-3')).orderBy('id')
    assert.equal(third[0].status, 'sent')

    const me = await callApi(app, 'GET', '/me', { token })
    assert.equal(me.body.data.rubis, 1)
  })
  test('paying an invoice of a digest while its email goes out waits for it: no deadlock, one email', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'race@example.test')
    const user = await User.findByOrFail('email', 'race@example.test')
    // The SMTP answer takes a while: the digest holds its locks meanwhile
    inbox.delayMs = 1_500
    const invoices = await invoicesDueYesterday(user, 3)
    await waitFor('the digest to be in flight', () => inbox.inFlight > 0)

    const paid = await callApi(app, 'POST', `/invoices/${invoices[1].id}/mark-paid`, { token })

    assert.equal(paid.status, 200, JSON.stringify(paid.body))
    await waitFor('the 3 check-ins to be sent and the queues idle', () => allCheckinsSent(3))
    assert.lengthOf(inbox.messages, 1)
    assert.lengthOf(linkPairsOf(inbox.messages[0]), 3)
    assert.equal(await invoiceStatusOf(invoices[1].id), 'paid')
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 3)
    // The check-in the digest scheduled next for the paid invoice was cancelled by the payment
    assert.equal(
      await countRows('checkin_tasks', { invoice_id: invoices[1].id, status: 'scheduled' }),
      0
    )
    assert.notInclude(app.worker.output, 'deadlock')
  })
})

test.group('Check-in digest under load', (group) => {
  const scene = processSceneForEach(group)

  test('30 check-ins of one user due the same minute, worker concurrency 10: one email, each task sent once', async ({
    assert,
  }) => {
    const { inbox } = scene
    const user = await UserFactory.merge({ email: 'busy@example.test' }).create()
    await invoicesDueYesterday(user, 30)

    await scene.startWorker({}, { concurrency: 10 })

    await waitFor('the 30 check-ins to be sent and the queues idle', () => allCheckinsSent(30), {
      timeoutMs: 30_000,
    })
    assert.lengthOf(inbox.to('busy@example.test'), 1)
    assert.lengthOf(linkPairsOf(inbox.messages[0]), 30)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 30)
    assert.lengthOf(inbox.messages, 1)
  })

  test('two users with check-ins due at once get one email each', async ({ assert }) => {
    const { inbox } = scene
    const first = await UserFactory.merge({ email: 'first@example.test' }).create()
    const second = await UserFactory.merge({ email: 'second@example.test' }).create()
    await invoicesDueYesterday(first, 3)
    await invoicesDueYesterday(second, 2)

    await scene.startWorker({}, { concurrency: 10 })

    await waitFor('the 5 check-ins to be sent and the queues idle', () => allCheckinsSent(5))
    assert.lengthOf(inbox.to('first@example.test'), 1)
    assert.lengthOf(inbox.to('second@example.test'), 1)
    assert.lengthOf(linkPairsOf(inbox.to('first@example.test')[0]), 3)
    assert.lengthOf(linkPairsOf(inbox.to('second@example.test')[0]), 2)
    assert.lengthOf(inbox.messages, 2)
  })
})
