import { test } from '@japa/runner'
import type { AddressObject, ParsedMail } from 'mailparser'
import db from '@adonisjs/lucid/services/db'
import Invoice from '#models/invoice'
import { UserFactory } from '#database/factories/user_factory'
import { markInvoicePaid } from '#services/invoices/mark_invoice_paid'
import { callApi, postInvoiceOn, registerVerifiedOn } from '#tests/helpers/app_processes'
import { firstRelancesDueNow } from '#tests/helpers/faults'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { processSceneForEach } from '#tests/helpers/running_app'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

/** Every display name of the From, Reply-To and To headers, as mailparser decodes them. */
function displayNames(mail: ParsedMail): string[] {
  return [mail.from, mail.replyTo, mail.to]
    .flat()
    .filter((header): header is AddressObject => header !== undefined)
    .flatMap((header) => header.value.map((address) => address.name))
}

const isThankYou = (mail: ParsedMail) => /^(Merci|Thank you)/.test(mail.subject ?? '')

test.group('Emails to clients end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('eight pay and reopen cycles, the client address changed between them, send one thank-you', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerVerifiedOn(app, inbox, 'camille@example.test')
    const created = await postInvoiceOn(app, token, { number: 'F-2026-077', amountCents: 90_000 })
    assert.equal(created.status, 201)
    const invoiceId = created.body.data.id
    const clientId = created.body.data.client.id
    await firstRelancesDueNow([invoiceId])
    await inbox.waitForMessageTo('compta@acme.test')

    const statusOf = async (method: string, path: string, body?: unknown) => {
      const answer = await callApi(app, method, path, { token, body })
      return answer.status
    }
    const clientAddresses = ['compta@acme.test']
    for (let cycle = 1; cycle <= 8; cycle++) {
      assert.equal(await statusOf('POST', `/invoices/${invoiceId}/mark-paid`), 200)
      if (cycle === 1) {
        await waitFor('the thank-you', () => inbox.messages.some(isThankYou))
      }
      assert.equal(await statusOf('POST', `/invoices/${invoiceId}/reopen`), 200)
      const address = `compta-${cycle}@acme.test`
      clientAddresses.push(address)
      assert.equal(await statusOf('PATCH', `/clients/${clientId}`, { email: address }), 200)
    }
    assert.equal(await statusOf('POST', `/invoices/${invoiceId}/mark-paid`), 200)

    const toClients = () =>
      inbox.messages.filter((mail) =>
        clientAddresses.some((address) => inbox.to(address).includes(mail))
      )
    await holdsFor(
      'one thank-you and the one relance, nothing more, to any of its addresses',
      () => {
        const sent = toClients()
        return sent.filter(isThankYou).length === 1 && sent.length === 2
      },
      { forMs: 3_000 }
    )
    const thankYous = await db.from('thank_yous').where('invoice_id', invoiceId)
    assert.lengthOf(thankYous, 1)
  })

  test('names saved before the rules, encoded words and full-width look-alikes, reach no header as an address', async ({
    assert,
  }) => {
    const { inbox } = scene
    // Rows written before the name rules existed: the validators would refuse them now
    const user = await UserFactory.merge({
      fullName: '=?utf-8?b?UGF5UGFsIDxzZXJ2aWNlQHBheXBhbC5jb20+?=',
      checkinBeforeEachRelance: false,
    }).create()
    const invoice = await createScheduledInvoice(user, {
      clientName: 'Ｓｅｒｖｉｃｅ ＜service＠paypal.com＞ "x@y.test"',
      clientEmail: 'client@example.test',
    })
    await firstRelancesDueNow([invoice.id])

    const [relance] = await inbox.waitForMessageTo('client@example.test')
    await db.transaction(async (trx) => {
      const locked = await Invoice.query({ client: trx })
        .where('id', invoice.id)
        .forUpdate()
        .firstOrFail()
      await markInvoicePaid(locked, { via: 'manual' }, trx)
    })
    const [, thankYou] = await inbox.waitForMessageTo('client@example.test', { count: 2 })

    for (const mail of [relance, thankYou]) {
      const names = displayNames(mail)
      assert.lengthOf(names, 3, mail.subject)
      for (const name of names) {
        assert.notMatch(name, /[@<>＠＜＞"]|=\?/, `${mail.subject}: ${name}`)
      }
      // The addresses themselves are the real ones
      assert.equal((mail.from as AddressObject).value[0].address, 'no-reply@relance.test')
      assert.equal((mail.replyTo as AddressObject).value[0].address, user.email)
    }
    assert.match(displayNames(relance)[0], / via Relance$/)
  })
})
