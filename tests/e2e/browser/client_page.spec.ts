import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import type { Browser, Page } from 'playwright-core'
import type { ParsedMail } from 'mailparser'
import Invoice from '#models/invoice'
import Relance from '#models/relance'
import User from '#models/user'
import ActivityEvent from '#models/activity_event'
import CheckinTask from '#models/checkin_task'
import { readFile } from 'node:fs/promises'
import { simplePdf } from '#tests/helpers/documents'
import { epcQrPayload } from '#support/epc_qr_payload'
import { getQueue } from '#queue/queues'
import sendRelanceJob from '#jobs/send_relance_job'
import { nextSendingTimeAfter } from '#support/business_calendar'
import {
  callApi,
  postInvoiceOn,
  registerVerifiedOn,
  type RunningApp,
} from '#tests/helpers/app_processes'
import { launchChromium, screenshotAtWidths } from '#tests/helpers/browser'
import { relancesDueNow } from '#tests/helpers/faults'
import { processSceneForEach } from '#tests/helpers/running_app'
import { checkinTokensIn } from '#tests/helpers/checkin_links'
import type { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

const FREELANCER = 'camille@example.test'
const CLIENT = 'compta@acme.test'
const IBAN = 'FR7630006000011234567890189'

// jsqr is CommonJS: its module object is the function its types call `default`
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default']

/** The link to the client's page at the end of a relance email. */
function pageLinkIn(mail: ParsedMail) {
  const match = /(https?:\/\/\S+\/client\/[A-Za-z0-9_-]{43})\s*$/.exec(mail.text ?? '')
  if (!match) throw new Error(`no client page link at the end of:\n${mail.text}`)
  return match[1]
}

/**
 * A verified freelancer with bank details, an invoice due 12 days ago for
 * Acme SAS, and its first relance sent to the client over SMTP: the
 * client's page link, as the client receives it.
 */
async function relanceReceivedByClient(app: RunningApp, inbox: SmtpInbox, number: string) {
  const token = await registerVerifiedOn(app, inbox, FREELANCER)
  const profile = await callApi(app, 'PATCH', '/me', {
    token,
    body: { iban: 'FR76 3000 6000 0112 3456 7890 189', bic: 'agrifrpp' },
  })
  if (profile.status !== 200) throw new Error(JSON.stringify(profile.body))
  const created = await postInvoiceOn(app, token, {
    number,
    amountCents: 125_050,
    dueDate: DateTime.now().setZone('Europe/Paris').minus({ days: 12 }).toISODate()!,
  })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  const invoiceId = created.body.data.id as number
  // The check-in of the due date goes first; the relance is then brought to now
  const [checkin] = await inbox.waitForMessageTo(FREELANCER)
  inbox.take(checkin)
  await relancesDueNow([invoiceId], [1])
  const [relance] = await inbox.waitForMessageTo(CLIENT)
  return { token, invoiceId, pageUrl: pageLinkIn(relance), relance }
}

/** Opens a form of the page (a native disclosure), fills it and submits it. */
async function submitForm(
  page: Page,
  invoiceId: number,
  action: 'paid' | 'promise' | 'dispute',
  fill: (form: ReturnType<Page['locator']>) => Promise<void>
) {
  const details = page.locator(`#invoice-${invoiceId}-${action}`)
  await details.locator('summary').click()
  await fill(details)
  await details.locator('button[type=submit]').click()
  await page.waitForURL(new RegExp(`\\?done=`), { timeout: 10_000 })
}

async function relancesOf(invoiceId: number) {
  return Relance.query().where('invoice_id', invoiceId).orderBy('sequence')
}

test.group('The client is heard (headless Chromium, SMTP, web and worker)', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })
  let browser: Browser

  group.setup(async () => {
    browser = await launchChromium()
    return () => browser.close()
  })
  group.each.timeout(120_000)

  test('"already paid" from the relance link: the freelancer is asked, and the paid link pays', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const { invoiceId, pageUrl, relance } = await relanceReceivedByClient(app, inbox, 'F-2026-301')
    assert.include(relance.text, 'Déjà payé, une date à proposer, une question ?')
    assert.include(relance.text, 'IBAN : FR76 3000 6000 0112 3456 7890 189')

    const context = await browser.newContext({ deviceScaleFactor: 2 })
    const page = await context.newPage()
    try {
      const shown = await page.goto(pageUrl)
      assert.equal(shown?.status(), 200)
      assert.equal(
        shown?.headers()['content-security-policy'],
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
      )
      await page.getByRole('heading', { name: 'Facture F-2026-301' }).waitFor()
      await screenshotAtWidths(page, 'client_page-fr')

      // The QR code a banking app scans carries the transfer, field by field
      const qr = await page.locator(`#invoice-${invoiceId}-title ~ .pay .qr svg`).screenshot()
      const image = PNG.sync.read(qr)
      const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)
      assert.equal(
        decoded?.data,
        epcQrPayload({
          name: 'Camille Martin',
          iban: IBAN,
          bic: 'AGRIFRPP',
          amountCents: 125_050,
          remittance: 'F-2026-301',
        })
      )
      assert.equal(decoded?.data.split('\n')[7], 'EUR1250.50')

      const paidOn = DateTime.now().setZone('Europe/Paris').minus({ days: 1 })
      await submitForm(page, invoiceId, 'paid', async (form) => {
        await form.getByLabel('Date du paiement').fill(paidOn.toISODate()!)
        await form.getByLabel('Un mot pour le vendeur').fill('Virement envoyé hier')
      })
      await page.getByRole('status').waitFor()
      assert.include(await page.getByRole('status').textContent(), 'informé(e) de votre paiement')
      await screenshotAtWidths(page, 'client_page-fr-confirmed')
    } finally {
      await context.close()
    }

    const [question] = await inbox.waitForMessageTo(FREELANCER)
    assert.equal(question.subject, 'Acme SAS dit avoir payé la facture F-2026-301')
    assert.include(
      question.text,
      `Acme SAS dit avoir payé la facture F-2026-301 (1\u202f250,50\u00a0€) le ${DateTime.now()
        .setZone('Europe/Paris')
        .minus({ days: 1 })
        .toFormat('dd/MM/yyyy')}.`
    )
    assert.include(question.text, 'Son message : « Virement envoyé hier »')
    const [paidToken] = checkinTokensIn(question.text ?? '', 'paid')

    const click = await fetch(`${app.baseUrl}/api/v1/checkin/${paidToken}/paid`, {
      redirect: 'manual',
    })
    assert.equal(click.status, 302)
    assert.match(click.headers.get('location')!, /\/checkin\/paid$/)
    const invoice = await Invoice.findOrFail(invoiceId)
    assert.equal(invoice.status, 'paid')
    assert.isNull(invoice.holdReason)
    const freelancer = await User.findByOrFail('email', FREELANCER)
    assert.equal(freelancer.rubis, 1)
    assert.exists(await ActivityEvent.query().where('type', 'invoice_paid').first())
    const relances = await relancesOf(invoiceId)
    assert.deepEqual(
      relances.map((row) => row.status),
      ['sent', 'cancelled', 'cancelled']
    )
    const [, thanks] = await inbox.waitForMessageTo(CLIENT, { count: 2 })
    assert.equal(thanks.subject, 'Merci pour votre règlement : facture F-2026-301')
  })

  test('"not received": the hold ends and what came due goes at the next weekday 09:00, not in a burst', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const { invoiceId, pageUrl } = await relanceReceivedByClient(app, inbox, 'F-2026-302')
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(pageUrl)
      await submitForm(page, invoiceId, 'paid', async () => {})
    } finally {
      await context.close()
    }
    const [question] = await inbox.waitForMessageTo(FREELANCER)
    // While held, the later relances come due: their jobs keep them back
    await relancesDueNow([invoiceId], [2, 3])
    const invoice = await Invoice.findOrFail(invoiceId)
    await waitFor('the held relances to move past the hold', async () => {
      const rows = await relancesOf(invoiceId)
      return rows.slice(1).every((row) => row.scheduledAt > invoice.holdUntil!)
    })

    const [pendingToken] = checkinTokensIn(question.text ?? '', 'pending')
    const clickedAt = DateTime.now()
    const click = await fetch(`${app.baseUrl}/api/v1/checkin/${pendingToken}/pending`, {
      redirect: 'manual',
    })
    assert.match(click.headers.get('location')!, /\/checkin\/pending$/)

    await invoice.refresh()
    assert.isNull(invoice.holdReason)
    const next = nextSendingTimeAfter(clickedAt, 'Europe/Paris')
    const [, second, third] = await relancesOf(invoiceId)
    for (const relance of [second, third]) {
      assert.equal(relance.status, 'scheduled')
      assert.equal(relance.scheduledAt.toMillis(), next.toMillis())
    }
    await holdsFor('no relance goes out now', () => inbox.to(CLIENT).length === 1, {
      forMs: 2_000,
    })
  })

  test('a promise: no relance before the day after the date, then they resume', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const { invoiceId, pageUrl } = await relanceReceivedByClient(app, inbox, 'F-2026-303')
    const promisedOn = DateTime.now().setZone('Europe/Paris').startOf('day').plus({ days: 9 })
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(pageUrl)
      await submitForm(page, invoiceId, 'promise', async (form) => {
        await form.getByLabel('Je paierai le').fill(promisedOn.toISODate()!)
      })
      assert.include(await page.getByRole('status').textContent(), 'date que vous proposez')
    } finally {
      await context.close()
    }
    const [notice] = await inbox.waitForMessageTo(FREELANCER)
    assert.equal(
      notice.subject,
      `Acme SAS promet de payer la facture F-2026-303 le ${promisedOn.toFormat('dd/MM/yyyy')}`
    )

    await relancesDueNow([invoiceId], [2])
    const resume = promisedOn.plus({ days: 1 }).set({ hour: 9 })
    const expected = resume.weekday >= 6 ? resume.plus({ days: 8 - resume.weekday }) : resume
    await waitFor('the relance due during the promise to wait for the day after it', async () => {
      const [, second] = await relancesOf(invoiceId)
      return second.scheduledAt.toMillis() === expected.toMillis()
    })
    assert.lengthOf(inbox.to(CLIENT), 1)
  })

  test('a dispute: held until the freelancer releases it; the notice quotes it, Reply-To the client', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const { token, invoiceId, pageUrl } = await relanceReceivedByClient(app, inbox, 'F-2026-304')
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(pageUrl)
      await submitForm(page, invoiceId, 'dispute', async (form) => {
        await form.getByLabel('Votre message').fill('Le devis disait 1 000 €, pas 1 250,50 €.')
      })
    } finally {
      await context.close()
    }
    const [notice] = await inbox.waitForMessageTo(FREELANCER)
    assert.equal(notice.subject, 'Acme SAS conteste la facture F-2026-304')
    assert.include(notice.text, '> Le devis disait 1 000 €, pas 1 250,50 €.')
    assert.equal(notice.replyTo?.value[0].address, CLIENT)

    await relancesDueNow([invoiceId], [2])
    const held = await waitFor('the relance job to keep it back', async () => {
      const [, second] = await relancesOf(invoiceId)
      const job = await getQueue('relances').getJob(sendRelanceJob.jobId(second.id))
      // One read: the state and the return value of the same snapshot
      return job?.finishedOn ? job : undefined
    })
    assert.equal(held.returnvalue, 'held')
    assert.lengthOf(inbox.to(CLIENT), 1)

    const releasedAt = DateTime.now()
    const released = await callApi(app, 'POST', `/invoices/${invoiceId}/release`, { token })
    assert.equal(released.status, 200)
    assert.isNull(released.body.data.hold)
    const [, second] = await relancesOf(invoiceId)
    assert.equal(
      second.scheduledAt.toMillis(),
      nextSendingTimeAfter(releasedAt, 'Europe/Paris').toMillis()
    )
    const again = await callApi(app, 'POST', `/invoices/${invoiceId}/release`, { token })
    assert.equal(again.status, 409)
  })

  test('an English client reads the page in English, on a phone and a desktop', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, FREELANCER)
    await callApi(app, 'PATCH', '/me', { token, body: { iban: IBAN } })
    const created = await postInvoiceOn(app, token, {
      number: 'INV-77',
      amountCents: 98_000,
      dueDate: DateTime.now().setZone('Europe/Paris').minus({ days: 4 }).toISODate()!,
    })
    const invoiceId = created.body.data.id as number
    await callApi(app, 'PATCH', `/clients/${created.body.data.client.id}`, {
      token,
      body: { locale: 'en' },
    })
    await postInvoiceOn(app, token, {
      number: 'INV-78',
      amountCents: 42_000,
      dueDate: DateTime.now().setZone('Europe/Paris').plus({ days: 20 }).toISODate()!,
    })
    await inbox.waitForMessageTo(FREELANCER)
    await relancesDueNow([invoiceId], [1])
    const [relance] = await inbox.waitForMessageTo(CLIENT)
    assert.include(relance.text, 'Already paid, a date to suggest, a question?')

    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(pageLinkIn(relance))
      assert.equal(await page.getAttribute('html', 'lang'), 'en')
      await page.getByRole('heading', { name: 'Invoice INV-77' }).waitFor()
      assert.equal(await page.locator('.qr svg').count(), 2)
      await screenshotAtWidths(page, 'client_page-en')
      // A refused form comes back with its error, still in English
      await page.locator(`#invoice-${invoiceId}-dispute summary`).click()
      await page.locator(`#invoice-${invoiceId}-dispute button[type=submit]`).click()
      await page.getByText('Write a message of 1 to 2,000 characters.').first().waitFor()
      await screenshotAtWidths(page, 'client_page-en-error')
    } finally {
      await context.close()
    }
  })

  test('the relance attaches each invoice PDF byte for byte, one per invoice, and the page links them', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, FREELANCER)
    const dueDate = DateTime.now().setZone('Europe/Paris').minus({ days: 12 }).toISODate()!
    const invoices: { id: number; number: string; pdf: Buffer; clientId: number }[] = []
    for (const number of ['F-2026/401', 'F-2026/402']) {
      const created = await postInvoiceOn(app, token, { number, amountCents: 64_000, dueDate })
      if (created.status !== 201) throw new Error(JSON.stringify(created.body))
      const { id, client } = created.body.data
      const { bytes: pdf } = await simplePdf(`Facture ${number}`)
      const form = new FormData()
      form.append('file', new Blob([pdf], { type: 'application/pdf' }), `facture-${id}.pdf`)
      const uploaded = await fetch(`${app.baseUrl}/api/v1/invoices/${id}/document`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      })
      assert.equal(uploaded.status, 200)
      invoices.push({ id, number, pdf, clientId: client.id })
    }
    // The check-ins of the due dates go first; both relances are then due together
    await waitFor('both check-ins sent', async () => {
      const sent = await CheckinTask.query()
        .whereIn(
          'invoice_id',
          invoices.map(({ id }) => id)
        )
        .where('status', 'sent')
      return sent.length === 2
    })
    await relancesDueNow(
      invoices.map(({ id }) => id),
      [1]
    )

    const [relance] = await inbox.waitForMessageTo(CLIENT)
    assert.deepEqual(
      relance.attachments.map(({ filename, contentType }) => [filename, contentType]),
      [
        ['F-2026-401.pdf', 'application/pdf'],
        ['F-2026-402.pdf', 'application/pdf'],
      ]
    )
    for (const [index, attachment] of relance.attachments.entries()) {
      assert.isTrue(attachment.content.equals(invoices[index].pdf), attachment.filename)
    }

    const context = await browser.newContext({ acceptDownloads: true })
    const page = await context.newPage()
    try {
      await page.goto(pageLinkIn(relance))
      const link = page.getByRole('link', { name: /Télécharger la facture F-2026\/401/ })
      await link.waitFor()
      assert.equal(await page.getByRole('link', { name: /Télécharger la facture/ }).count(), 2)
      await screenshotAtWidths(page, 'client_page-documents-fr')
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
      assert.equal(download.suggestedFilename(), 'F-2026-401.pdf')
      const saved = await readFile(await download.path())
      assert.isTrue(saved.equals(invoices[0].pdf))

      await callApi(app, 'PATCH', `/clients/${invoices[0].clientId}`, {
        token,
        body: { locale: 'en' },
      })
      await page.reload()
      await page.getByRole('link', { name: /Download invoice F-2026\/402/ }).waitFor()
      await screenshotAtWidths(page, 'client_page-documents-en')
    } finally {
      await context.close()
    }
  })
})
