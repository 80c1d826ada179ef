import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import appEdge, { Edge } from 'edge.js'
import { clientPageState, findPageEmail } from '#services/client_page/client_page'
import { DateTime } from 'luxon'
import { UserFactory } from '#database/factories/user_factory'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { resetState } from '#tests/helpers/state'
import type { ApiClient } from '@japa/api-client'
import env from '#start/env'
import Invoice from '#models/invoice'
import ActivityEvent from '#models/activity_event'
import ClientNotice from '#models/client_notice'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendClientNoticeJob from '#jobs/send_client_notice_job'
import { latestCheckinOf } from '#tests/helpers/invoices'
import { countRows } from '#tests/helpers/rows'
import { queuedJobIds } from '#tests/helpers/state'
import { clientFormPath, clientPagePath, sentRelanceEmailOf } from '#tests/helpers/client_page'
import { dayFromToday } from '#tests/helpers/calendar'

const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"

test.group('Client page', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('shows the client its pending invoices in its language, with the exact headers', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      fullName: 'Camille Martin',
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
    }).create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-100',
      clientName: 'Atelier Dupont',
      dueDate: dayFromToday(-12),
    })
    await createScheduledInvoice(user, { number: 'F-101', clientName: 'Atelier Dupont' })
    const { token } = await sentRelanceEmailOf(invoice)

    const response = await client.get(clientPagePath(token))

    response.assertStatus(200)
    assert.equal(response.header('content-type'), 'text/html; charset=utf-8')
    assert.equal(response.header('content-security-policy'), PAGE_CSP)
    assert.equal(response.header('cache-control'), 'no-store')
    assert.equal(response.header('referrer-policy'), 'no-referrer')
    assert.equal(response.header('x-robots-tag'), 'noindex')
    const html = response.text()
    assert.include(html, '<html lang="fr">')
    assert.include(html, 'Vos factures en attente chez Camille Martin')
    assert.include(html, 'Facture F-100')
    assert.include(html, 'Facture F-101')
    assert.include(html, '12 jours de retard')
    assert.include(html, 'FR76 3000 6000 0112 3456 7890 189')
    assert.match(html, /<svg role="img" aria-label="QR code de virement SEPA pour la facture F-100/)
  })

  test('goes out without the indentation of its templates', async ({ client, assert }) => {
    const user = await UserFactory.merge({ fullName: 'Camille Martin' }).create()
    const invoice = await createScheduledInvoice(user, { clientName: 'Atelier Dupont' })
    const { token } = await sentRelanceEmailOf(invoice)

    const response = await client.get(clientPagePath(token))

    const html = response.text()
    assert.notMatch(html, /^[ \t]/m)
    assert.include(html, '<div class="forms">\n<details')
    assert.include(html, '\n.invoice {\n')
    // A textarea's value starts on its tag's line: nothing was added to it
    assert.match(html, /aria-invalid="false"\n><\/textarea>/)
  })

  test('with the template cache of production, a second page is rendered without compiling anything', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({ fullName: 'Camille Martin' }).create()
    const invoice = await createScheduledInvoice(user, {
      number: 'F-200',
      clientName: 'Atelier Dupont',
    })
    await createScheduledInvoice(user, { number: 'F-201', clientName: 'Atelier Dupont' })
    const { token } = await sentRelanceEmailOf(invoice)
    const email = (await findPageEmail(token))!
    const state = await clientPageState(token, email)
    const edge = Edge.create({ cache: true })
    edge.mount(app.viewsPath())
    let compiled = 0
    const tokenize = edge.asyncCompiler.tokenize.bind(edge.asyncCompiler)
    edge.asyncCompiler.tokenize = (...args: Parameters<typeof tokenize>) => {
      compiled++
      return tokenize(...args)
    }

    const first = await edge.render('pages/client_page', state)
    assert.isAbove(compiled, 0)
    compiled = 0
    const second = await edge.render('pages/client_page', state)

    // Every template, the forms of each invoice included, came from the cache
    assert.equal(compiled, 0)
    assert.equal(second, first)
    assert.equal(second.split('action="/client/').length - 1, 6)
  })

  test('a request runs no Edge plugin: its renderer is a clone of the one made at boot', async ({
    client,
    assert,
  }) => {
    const { user, token } = await pageOfOverdueInvoice()
    // edge.createRenderer() runs the plugins, the components one listing resources/views/components
    const createRenderer = appEdge.createRenderer
    let created = 0
    appEdge.createRenderer = function (this: typeof appEdge) {
      created++
      return createRenderer.call(this)
    }
    try {
      const page = await client.get(clientPagePath(token))
      page.assertStatus(200)
      // An API request: the auth middleware shares the authenticator with ctx.view
      const invoices = await client.get('/api/v1/invoices').loginAs(user)
      invoices.assertStatus(200)
    } finally {
      appEdge.createRenderer = createRenderer
    }
    assert.equal(created, 0)
  })
})

/** A user, a pending invoice of client Atelier Dupont due 12 days ago, and its page link. */
async function pageOfOverdueInvoice(overrides: Parameters<typeof UserFactory.merge>[0] = {}) {
  const user = await UserFactory.merge({ fullName: 'Camille Martin', ...overrides }).create()
  const invoice = await createScheduledInvoice(user, {
    number: 'F-200',
    clientName: 'Atelier Dupont',
    clientEmail: 'compta@atelier.test',
    dueDate: dayFromToday(-12),
  })
  const { token } = await sentRelanceEmailOf(invoice)
  return { user, invoice, token }
}

/** What a refused or repeated post must leave as it was. */
async function signalState(invoiceId: number) {
  const invoice = await Invoice.findOrFail(invoiceId)
  return {
    hold: [invoice.holdReason, invoice.holdUntil?.toISO(), invoice.holdNote],
    checkins: await countRows('checkin_tasks'),
    signalCheckins: await countRows('checkin_tasks', { reason: 'payment_reported' }),
    events: await countRows('activity_events'),
    notices: await countRows('client_notices'),
  }
}

function postForm(
  client: ApiClient,
  token: string,
  invoiceId: number,
  action: 'paid' | 'promise' | 'dispute',
  fields: Record<string, string>
) {
  return client
    .post(clientFormPath(token, invoiceId, action))
    .form(fields)
    .redirects(0)
}

test.group('Client page forms', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('"already paid" holds the relances, asks the freelancer within a minute and confirms', async ({
    client,
    assert,
  }) => {
    const { invoice, token } = await pageOfOverdueInvoice()
    const paidOn = DateTime.now().setZone('Europe/Paris').minus({ days: 1 }).toISODate()!
    const before = DateTime.now()

    const response = await postForm(client, token, invoice.id, 'paid', {
      paidOn,
      note: 'Virement BNP, réf. 4411',
    })

    response.assertStatus(303)
    assert.equal(response.header('location'), `/client/${token}?done=paid`)
    await invoice.refresh()
    assert.equal(invoice.holdReason, 'payment_reported')
    assert.equal(invoice.holdNote, 'Virement BNP, réf. 4411')
    const holdDays = invoice.holdUntil!.diff(before, 'days').days
    assert.closeTo(holdDays, 7, 0.01)
    const task = await latestCheckinOf(invoice.id)
    assert.equal(task.reason, 'payment_reported')
    assert.equal(task.status, 'scheduled')
    assert.deepEqual(task.signal, { paidOn, note: 'Virement BNP, réf. 4411' })
    assert.equal(task.expiresAt!.toMillis(), invoice.holdUntil!.toMillis())
    assert.isBelow(task.scheduledAt.diff(before).as('seconds'), 60)
    assert.deepEqual(await queuedJobIds('checkins'), [sendCheckinJob.jobId(task.id)])
    const event = await ActivityEvent.findByOrFail('type', 'client_reported_payment')
    assert.equal(event.invoiceId, invoice.id)

    const page = await client.get(`${clientPagePath(token)}?done=paid`)
    assert.include(page.text(), 'Camille Martin est informé(e) de votre paiement')
    assert.include(page.text(), 'Paiement signalé le')
  })

  test('50 concurrent "already paid" posts, then replays: one hold, one check-in, no 500', async ({
    client,
    assert,
  }) => {
    const { invoice, token } = await pageOfOverdueInvoice()

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        postForm(client, token, invoice.id, 'paid', { paidOn: '', note: '' })
      )
    )
    for (const answer of answers) assert.equal(answer.status(), 303)
    const after = await signalState(invoice.id)
    assert.equal(after.signalCheckins, 1)
    assert.equal(await countRows('activity_events', { type: 'client_reported_payment' }), 1)
    assert.equal(await countRows('checkin_tasks', { status: 'scheduled' }), 1)

    const replay = await postForm(client, token, invoice.id, 'paid', { paidOn: '', note: '' })
    replay.assertStatus(303)
    assert.deepEqual(await signalState(invoice.id), after)
  })

  test('a promise holds until 09:00 the day after the date and notifies the freelancer once a day', async ({
    client,
    assert,
  }) => {
    const { invoice, token } = await pageOfOverdueInvoice()
    const today = DateTime.now().setZone('Europe/Paris').startOf('day')
    const promisedOn = today.plus({ days: 10 })

    const first = await postForm(client, token, invoice.id, 'promise', {
      promisedOn: promisedOn.toISODate()!,
    })
    first.assertStatus(303)
    assert.equal(first.header('location'), `/client/${token}?done=promise`)
    await invoice.refresh()
    assert.equal(invoice.holdReason, 'payment_promised')
    assert.equal(
      invoice.holdUntil!.toMillis(),
      promisedOn.plus({ days: 1 }).set({ hour: 9 }).toMillis()
    )
    const notice = await ClientNotice.findByOrFail('invoice_id', invoice.id)
    assert.equal(notice.kind, 'promise')
    assert.deepEqual(notice.details, { promisedOn: promisedOn.toISODate()! })
    assert.deepEqual(await queuedJobIds('client-notices'), [sendClientNoticeJob.jobId(notice.id)])

    // Another date the same day: the hold moves, no second notice
    const second = await postForm(client, token, invoice.id, 'promise', {
      promisedOn: promisedOn.plus({ days: 5 }).toISODate()!,
    })
    second.assertStatus(303)
    await invoice.refresh()
    assert.equal(invoice.holdUntil!.toISODate(), promisedOn.plus({ days: 6 }).toISODate())
    assert.equal(await countRows('client_notices'), 1)
    assert.equal(await countRows('activity_events', { type: 'payment_promised' }), 2)
  })

  test('the same promise posted again records nothing new', async ({ client, assert }) => {
    const { invoice, token } = await pageOfOverdueInvoice()
    const promisedOn = DateTime.now().setZone('Europe/Paris').startOf('day').plus({ days: 10 })
    const fields = { promisedOn: promisedOn.toISODate()! }

    const first = await postForm(client, token, invoice.id, 'promise', fields)
    first.assertStatus(303)
    const before = await signalState(invoice.id)
    const again = await postForm(client, token, invoice.id, 'promise', fields)

    again.assertStatus(303)
    assert.equal(again.header('location'), `/client/${token}?done=promise`)
    assert.deepEqual(await signalState(invoice.id), before)
    assert.equal(await countRows('activity_events', { type: 'payment_promised' }), 1)
  })

  test('a dispute holds until released and quotes the message to the freelancer', async ({
    client,
    assert,
  }) => {
    const { invoice, token } = await pageOfOverdueInvoice()
    const message = 'La prestation du 3 mars n’a pas eu lieu.\nMerci de corriger la facture.'

    const response = await postForm(client, token, invoice.id, 'dispute', { message })

    response.assertStatus(303)
    await invoice.refresh()
    assert.equal(invoice.holdReason, 'disputed')
    assert.isNull(invoice.holdUntil)
    assert.equal(invoice.holdNote, message)
    const notice = await ClientNotice.findByOrFail('invoice_id', invoice.id)
    assert.deepEqual(notice.details, { message, clientEmail: 'compta@atelier.test' })
    const event = await ActivityEvent.findByOrFail('type', 'invoice_disputed')
    assert.deepEqual(event.metadata, { message })
  })

  test('another client or user invoice is a 404 page; a settled one a 303 done=settled; nothing recorded', async ({
    client,
    assert,
  }) => {
    const { user, invoice, token } = await pageOfOverdueInvoice()
    const otherClient = await createScheduledInvoice(user, { clientEmail: 'other@client.test' })
    const otherUser = await createScheduledInvoice(await UserFactory.create(), {
      clientEmail: 'compta@atelier.test',
    })
    const paid = await createScheduledInvoice(user, { clientEmail: 'compta@atelier.test' })
    await client.post(`/api/v1/invoices/${paid.id}/mark-paid`).loginAs(user)
    const before = await signalState(invoice.id)

    for (const id of [otherClient.id, otherUser.id, 999_999]) {
      for (const action of ['paid', 'promise', 'dispute'] as const) {
        const answer = await postForm(client, token, id, action, { message: 'x', promisedOn: '' })
        answer.assertStatus(404)
        assert.match(answer.header('content-type') ?? '', /^text\/html/)
        assert.include(answer.text(), 'Ce lien ne fonctionne plus')
      }
    }
    const settled = await postForm(client, token, paid.id, 'dispute', { message: 'Trop tard' })
    settled.assertStatus(303)
    assert.equal(settled.header('location'), `/client/${token}?done=settled`)
    assert.deepEqual(await signalState(invoice.id), before)
    const otherHolds = await Invoice.query().whereNotNull('hold_reason')
    assert.lengthOf(otherHolds, 0)
  })

  test('a bad field shows the page again with the error (422), nothing recorded: {label}')
    .with([
      { label: 'a payment date in the future', action: 'paid', fields: { paidOn: 'FUTURE' } },
      { label: 'a date that does not exist', action: 'paid', fields: { paidOn: '2026-02-30' } },
      { label: 'a date from another century', action: 'paid', fields: { paidOn: '1901-01-01' } },
      { label: 'a note of 501 characters', action: 'paid', fields: { note: 'x'.repeat(501) } },
      { label: 'a NUL in the note', action: 'paid', fields: { note: 'a\u0000b' } },
      { label: 'no promised date', action: 'promise', fields: {} },
      { label: 'a promise 61 days ahead', action: 'promise', fields: { promisedOn: 'FAR' } },
      { label: 'a promise yesterday', action: 'promise', fields: { promisedOn: 'PAST' } },
      { label: 'SQL as a date', action: 'promise', fields: { promisedOn: "' OR '1'='1" } },
      { label: 'an empty message', action: 'dispute', fields: { message: '   ' } },
      {
        label: 'a message of 2,001 characters',
        action: 'dispute',
        fields: { message: 'é'.repeat(2_001) },
      },
    ] as const)
    .run(async ({ client, assert }, { action, fields }) => {
      const { invoice, token } = await pageOfOverdueInvoice()
      const today = DateTime.now().setZone('Europe/Paris').startOf('day')
      const dates: Record<string, string> = {
        FUTURE: today.plus({ days: 2 }).toISODate()!,
        FAR: today.plus({ days: 61 }).toISODate()!,
        PAST: today.minus({ days: 2 }).toISODate()!,
      }
      const sent = Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [name, dates[value] ?? value])
      )
      const before = await signalState(invoice.id)

      const response = await postForm(client, token, invoice.id, action, sent)

      response.assertStatus(422)
      assert.match(response.header('content-type') ?? '', /^text\/html/)
      assert.equal(response.header('content-security-policy'), PAGE_CSP)
      const html = response.text()
      assert.include(html, 'Le formulaire contient une erreur')
      assert.match(html, new RegExp(`id="invoice-${invoice.id}-${action}"\\s+open`))
      assert.include(html, 'aria-invalid="true"')
      assert.deepEqual(await signalState(invoice.id), before)
    })

  test('an unknown, malformed or expired link is a 404 page; GET and HEAD change nothing', async ({
    client,
    assert,
  }) => {
    const { invoice, token } = await pageOfOverdueInvoice()
    const expired = await sentRelanceEmailOf(invoice, DateTime.now().minus({ days: 61 }))
    const before = await signalState(invoice.id)

    for (const path of [
      clientPagePath('A'.repeat(43)),
      clientPagePath('not-a-token'),
      clientPagePath(expired.token),
      clientFormPath(expired.token, invoice.id, 'paid'),
      '/client/',
      `/client/${token}/invoices/${invoice.id}/unknown`,
    ]) {
      const response = path.includes('/invoices/')
        ? await client.post(path).form({}).redirects(0)
        : await client.get(path)
      assert.equal(response.status(), 404, path)
      assert.match(response.header('content-type') ?? '', /^text\/html/, path)
      assert.include(response.text(), 'This link no longer works', path)
      assert.equal(response.header('cache-control'), 'no-store')
    }
    const head = await client.head(clientPagePath(token))
    head.assertStatus(200)
    await client.get(clientPagePath(token))
    assert.deepEqual(await signalState(invoice.id), before)
  })

  test('more requests than RATE_LIMIT_CLIENT_PAGE_PER_MINUTE from one address get a 429 page', async ({
    client,
    assert,
  }) => {
    const limit = env.get('RATE_LIMIT_CLIENT_PAGE_PER_MINUTE')
    const statuses: number[] = []
    for (let n = 0; n <= limit; n++) {
      const response = await client
        .get(clientPagePath('A'.repeat(43)))
        .header('x-forwarded-for', '198.18.7.7')
      statuses.push(response.status())
    }
    assert.deepEqual(new Set(statuses.slice(0, limit)), new Set([404]))
    const refused = await client
      .get(clientPagePath('A'.repeat(43)))
      .header('x-forwarded-for', '198.18.7.7')
    refused.assertStatus(429)
    assert.match(refused.header('content-type') ?? '', /^text\/html/)
    assert.include(refused.text(), 'Trop de demandes')
  })
})
