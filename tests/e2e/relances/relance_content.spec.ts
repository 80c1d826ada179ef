import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Relance from '#models/relance'
import ThankYou from '#models/thank_you'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import sendThankYouJob from '#jobs/send_thank_you_job'
import {
  callApi,
  postInvoiceOn,
  registerVerifiedOn,
  type RunningApp,
} from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'

/** Brings these waiting relances forward to now and lets their jobs run at once. */
async function makeDueNow(relanceIds: number[]) {
  await Relance.query()
    .whereIn('id', relanceIds)
    .update({ scheduled_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })
  const jobs = await Promise.all(
    relanceIds.map((id) => getQueue('relances').getJob(sendRelanceJob.jobId(id)))
  )
  await Promise.all(jobs.map((job) => job!.promote()))
  return jobs
}

async function createInvoice(app: RunningApp, token: string, number: string) {
  const created = await postInvoiceOn(app, token, { number, amountCents: 99_000 })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return created.body.data as { id: number; client: { id: number } }
}

function relanceOf(invoiceId: number, sequence: number) {
  return Relance.query().where('invoice_id', invoiceId).where('sequence', sequence).firstOrFail()
}

test.group('Relance content end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('two invoices of one client due the same day go out as one email naming both', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    // A second worker process: the two jobs may run on either, at the same moment
    await scene.startWorker()
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const first = await createInvoice(app, token, 'F-2026-301')
    const second = await createInvoice(app, token, 'F-2026-302')
    const relances = [await relanceOf(first.id, 1), await relanceOf(second.id, 1)]

    const jobs = await makeDueNow(relances.map(({ id }) => id))

    const [mail] = await inbox.waitForMessageTo('compta@acme.test')
    assert.equal(mail.subject, 'Petit rappel : factures F-2026-301, F-2026-302')
    assert.include(mail.text, '- Facture F-2026-301 : Montant')
    assert.include(mail.text, '- Facture F-2026-302 : Montant')
    await waitFor('both jobs to finish', async () => {
      const states = await Promise.all(jobs.map((job) => job!.getState()))
      return states.every((state) => state === 'completed')
    })
    for (const relance of relances) {
      await relance.refresh()
      assert.equal(relance.status, 'sent')
    }
    assert.lengthOf(inbox.to('compta@acme.test'), 1)
  })

  test('an English client gets its relance in English', async ({ assert }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const invoice = await createInvoice(app, token, 'F-2026-303')
    const patched = await callApi(app, 'PATCH', `/clients/${invoice.client.id}`, {
      token,
      body: { locale: 'en' },
    })
    assert.equal(patched.status, 200)
    const relance = await relanceOf(invoice.id, 1)

    await makeDueNow([relance.id])

    const [mail] = await inbox.waitForMessageTo('compta@acme.test')
    assert.equal(mail.subject, 'Friendly reminder: invoice F-2026-303')
    assert.match(mail.text!, /^Hello Acme SAS,\n/)
    assert.include(mail.text, 'Amount: €990.00.')
  })

  test('the preview of relance 2 is, character for character, the email relance 2 sends', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const me = await callApi(app, 'PATCH', '/me', {
      token,
      body: { latePenaltyRate: 10.25, paymentInstructions: 'Virement : IBAN FR76 3000 6000 0112' },
    })
    assert.equal(me.status, 200)
    const invoice = await createInvoice(app, token, 'F-2026-304')
    const relance = await relanceOf(invoice.id, 2)
    await Relance.query()
      .where('id', relance.id)
      .update({ scheduled_at: DateTime.now().minus({ minutes: 1 }).toJSDate() })

    const preview = await callApi(app, 'GET', `/invoices/${invoice.id}/relances/2/preview`, {
      token,
    })
    assert.equal(preview.status, 200)
    await makeDueNow([relance.id])

    const [mail] = await inbox.waitForMessageTo('compta@acme.test')
    assert.equal(mail.subject, preview.body.data.subject)
    // The text part closes with the line break MIME ends it with, which mailparser keeps;
    // the client's page link is made as the email leaves, the preview says where it goes
    const link = /\/client\/[\w-]{43}\n$/.exec(mail.text!)
    assert.exists(link, mail.text)
    assert.equal(mail.text!.replace(link![0], '/client/<token>'), preview.body.data.text)
    assert.include(mail.text, 'pénalités de retard au taux annuel de 10,25 %')
    assert.include(
      mail.text,
      'Virement : IBAN FR76 3000 6000 0112\n\nDéjà payé, une date à proposer'
    )
    assert.equal(preview.body.data.to, 'compta@acme.test')
    assert.equal(preview.body.data.replyTo, 'camille@example.test')
  })

  test('the client is thanked once after the check-in says paid', async ({ assert }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const invoice = await createInvoice(app, token, 'F-2026-305')
    const [checkinMail] = await inbox.waitForMessageTo('camille@example.test')
    const relance = await relanceOf(invoice.id, 1)
    await makeDueNow([relance.id])
    await inbox.waitForMessageTo('compta@acme.test')

    const paidUrl = `${app.baseUrl}/api/v1/checkin/${checkinTokenFrom(checkinMail)}/paid`
    const click = await fetch(paidUrl, { redirect: 'manual' })
    assert.equal(click.status, 302)
    const again = await fetch(paidUrl, { redirect: 'manual' })
    assert.include(again.headers.get('location'), 'already_answered')

    const [, thanks] = await inbox.waitForMessageTo('compta@acme.test', { count: 2 })
    assert.equal(thanks.subject, 'Merci pour votre règlement : facture F-2026-305')
    assert.equal(thanks.replyTo?.value[0].address, 'camille@example.test')
    const thankYou = await ThankYou.findByOrFail('invoice_id', invoice.id)
    await waitFor('the thank-you job to finish', async () => {
      const job = await getQueue('thank-yous').getJob(sendThankYouJob.jobId(thankYou.id))
      return (await job?.getState()) === 'completed'
    })
    await thankYou.refresh()
    assert.equal(thankYou.status, 'sent')
    assert.lengthOf(inbox.to('compta@acme.test'), 2)
  })
})
