import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import type { ApiClient, ApiRequest } from '@japa/api-client'
import { DateTime } from 'luxon'
import type User from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { resetState, rowsAndJobs } from '#tests/helpers/state'
import { register, registration } from '#tests/helpers/auth_requests'
import { invoicePayload, storeInvoice } from '#tests/helpers/invoice_requests'
import { assertFieldErrors, type ApiError } from '#tests/helpers/api_assertions'
import { draftOf } from '#tests/helpers/import_requests'
import { dayFromToday } from '#tests/helpers/calendar'

/*
| Names, invoice numbers, emails and due dates are checked by one rule each,
| the same for the API and for import rows: every case below is sent to each
| route taking that kind of value, then as a CSV row, which must carry the
| very message POST /invoices answers.
*/

type Kind = 'name' | 'number' | 'email' | 'dueDate'

/** The column of an import, and the field of POST /invoices, for each kind. */
const INVOICE_FIELD: Record<Kind, 'clientName' | 'number' | 'clientEmail' | 'dueDate'> = {
  name: 'clientName',
  number: 'number',
  email: 'clientEmail',
  dueDate: 'dueDate',
}

type Target = { label: string; field: string; send: (value: string) => ApiRequest }

/** Every route that takes a value of this kind, for `user` and their invoice. */
function targets(
  client: ApiClient,
  kind: Kind,
  user: User,
  invoice: { id: number; client: { id: number } }
): Target[] {
  const newInvoice = (field: string): Target => ({
    label: `POST /invoices ${field}`,
    field,
    send: (value) =>
      client
        .post('/api/v1/invoices')
        .loginAs(user)
        .json(invoicePayload({ number: 'F-NEW', [field]: value })),
  })
  const patch = (path: string, field: string): Target => ({
    label: `PATCH ${path} ${field}`,
    field,
    send: (value) =>
      client
        .patch(
          path.replace(':id', String(path.includes('clients') ? invoice.client.id : invoice.id))
        )
        .loginAs(user)
        .json({ [field]: value }),
  })
  const registered = (field: string): Target => ({
    label: `POST /auth/register ${field}`,
    field,
    send: (value) => register(client, { ...registration, [field]: value }),
  })
  switch (kind) {
    case 'name':
      return [
        registered('fullName'),
        patch('/api/v1/me', 'fullName'),
        newInvoice('clientName'),
        patch('/api/v1/clients/:id', 'name'),
      ]
    case 'number':
      return [newInvoice('number'), patch('/api/v1/invoices/:id', 'number')]
    case 'email':
      return [registered('email'), newInvoice('clientEmail'), patch('/api/v1/clients/:id', 'email')]
    case 'dueDate':
      return [newInvoice('dueDate'), patch('/api/v1/invoices/:id', 'dueDate')]
  }
}

/** A CSV cell: always quoted, quotes doubled, so any value fits. */
const cell = (value: string) => `"${value.replaceAll('"', '""')}"`

/** A one-row CSV import whose `field` holds `value`, the other cells valid. */
function csvWith(field: string, value: string) {
  const row: Record<string, string> = {
    number: 'F-CSV-1',
    clientName: 'Acme',
    clientEmail: 'billing@acme.test',
    amountCents: '12,50',
    dueDate: dayFromToday(30).toISODate()!,
    [field]: value,
  }
  const header = 'number;client;email;amount;due_date\n'
  const line = [row.number, row.clientName, row.clientEmail, row.amountCents, row.dueDate]
  return Buffer.from(header + line.map(cell).join(';') + '\n')
}

/** The user's invoice, through the API, so its client and relances exist too. */
async function userWithInvoice(client: ApiClient) {
  const user = await UserFactory.create()
  const invoice = await storeInvoice(client, user, { number: 'F-1' })
  return { user, invoice }
}

function errorOn(assert: Assert, errors: ApiError[], field: string, rule: string) {
  const error = errors.find((candidate) => candidate.field === field)
  assert.exists(error, `no error on ${field}: ${JSON.stringify(errors)}`)
  assert.equal(error!.rule, rule, JSON.stringify(error))
  return error!
}

const today = () => DateTime.utc().startOf('day')

/** Today (UTC) moved by `years` and `days`, as YYYY-MM-DD. */
const daysFromToday = (years: number, days: number) => today().plus({ years, days }).toISODate()!

/**
 * Values of one kind that the API must refuse with `rule`, each as [title,
 * value], and as [title, value, name] when a CSV cell of a name reads it as
 * that name, on one line (Excel's Alt+Enter), instead of refusing it.
 */
const refused = (
  kind: Kind,
  rule: string,
  cases: [title: string, value: string, csvReadsAs?: string][]
) => cases.map(([title, value, csvReadsAs]) => ({ kind, title, value, rule, csvReadsAs }))

test.group('Strict fields', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test(
    '{title} is refused with 422 naming the field by the API, and by a CSV row unless read on one line'
  )
    .with([
      // Control characters, line breaks and tabs included; a CSV name cell makes them a space
      ...refused('name', 'controlCharacters', [
        ['a name with CR/LF', 'Ada\r\nBcc: x', 'Ada Bcc: x'],
        ['a name with a line feed', 'Ada\nLovelace', 'Ada Lovelace'],
        ['a name with a tab', 'Ada\tLovelace', 'Ada Lovelace'],
        ['a name with a line separator', 'Ada\u2028Lovelace', 'Ada Lovelace'],
      ]),
      // Bidirectional controls
      ...refused('name', 'bidiControls', [
        ['a name with a right-to-left override', '\u202eecalevoL adA'],
        ['a name with an isolate', 'Ada \u2066Lovelace\u2069'],
        ['a name with a right-to-left mark', 'Ada\u200f Lovelace'],
      ]),
      // What would read as an address in the From header
      ...refused('name', 'addressCharacters', [
        ['a name holding an address', 'PayPal <security@paypal.com>'],
        ['a name with an @', 'ada@example.com'],
        ['a name with double quotes', 'Ada "Countess" Lovelace'],
        ['a name with >', 'Ada > Lovelace'],
        // Compared after NFKC: full-width and small look-alikes are the same characters
        ['a name with full-width ＜＠＞', 'PayPal ＜service＠paypal.com＞'],
        ['a name with a full-width quote', 'Ada ＂Countess＂'],
        ['a name with a small commercial at', 'ada﹫example.com'],
      ]),
      // An RFC 2047 encoded word: mail clients decode it into whatever it hides
      ...refused('name', 'encodedWord', [
        ['a name holding an encoded word', '=?utf-8?b?UGF5UGFsIDxzZXJ2aWNlQHBheXBhbC5jb20+?='],
        ['a name holding a Q-encoded word', 'Ada =?iso-8859-1?q?=3Cx=40y.test=3E?='],
      ]),
      // Invoice numbers: 1 to 50 printable characters
      ...refused('number', 'printable', [
        ['an invoice number with CR/LF', 'F-1\r\nF-2'],
        ['an invoice number with a tab', 'F-1\tF-2'],
        ['an invoice number with a zero-width space', 'F-\u200b1'],
        ['an invoice number with a bidi override', 'F-\u202e1'],
      ]),
      ...refused('number', 'maxLength', [['an invoice number of 51 characters', 'F'.repeat(51)]]),
      // Emails: no quoted local part, no control characters
      ...refused('email', 'unquotedEmail', [
        ['an email with a quoted local part', '"john doe"@x.test'],
        ['an email with a quote', 'john"doe@x.test'],
      ]),
      ...refused('email', 'controlCharacters', [
        ['an email with CR/LF inside', 'a@x.test\r\nBcc: b@y.test'],
        ['an email with a tab', 'bill\ting@x.test'],
      ]),
      // Due dates within 10 years back and 5 years ahead
      ...refused('dueDate', 'dateRange', [
        ['a due date of 9999-12-31', '9999-12-31'],
        ['a due date 5 years and a day ahead', daysFromToday(5, 1)],
        ['a due date 10 years and a day back', daysFromToday(-10, -1)],
      ]),
    ])
    .run(async ({ client, assert }, { kind, value, rule, csvReadsAs }) => {
      const { user, invoice } = await userWithInvoice(client)
      const before = await rowsAndJobs()
      let invoiceMessage = ''

      for (const target of targets(client, kind, user, invoice)) {
        const response = await target.send(value)
        assertFieldErrors(assert, response, [{ field: target.field, rule }])
        const error = errorOn(assert, response.body().errors, target.field, rule)
        assert.include(error.message, target.field, target.label)
        if (target.field === INVOICE_FIELD[kind]) invoiceMessage = error.message
      }
      assert.isNotEmpty(invoiceMessage)
      assert.deepEqual(await rowsAndJobs(), before)

      const draft = await draftOf(client, user, csvWith(INVOICE_FIELD[kind], value))

      if (csvReadsAs !== undefined) {
        assert.containSubset(draft, { totalRows: 1, validRows: 1, invalidRows: 0 })
        assert.equal(draft.rows[0].data.clientName, csvReadsAs)
        return
      }
      assert.containSubset(draft, { totalRows: 1, validRows: 0, invalidRows: 1 })
      assert.deepEqual(draft.rows[0].errors, [
        { field: INVOICE_FIELD[kind], message: invoiceMessage },
      ])
    })

  test('names in any script, with apostrophes, ampersands and semicolons, are accepted everywhere', async ({
    client,
    assert,
  }) => {
    const { user, invoice } = await userWithInvoice(client)
    const names = [
      "Zoë O'Brien-Łukasiewicz",
      'مرحبا עולם',
      'Crème & Co; Agence Élysée',
      '山田 太郎',
    ]

    for (const [index, name] of names.entries()) {
      const profile = await client.patch('/api/v1/me').loginAs(user).json({ fullName: name })
      profile.assertStatus(200)
      const created = await client
        .post('/api/v1/invoices')
        .loginAs(user)
        .json(
          invoicePayload({
            number: `F-OK-${index}`,
            clientName: name,
            clientEmail: `c${index}@x.test`,
          })
        )
      created.assertStatus(201)
      assert.equal(created.body().data.client.name, name)
      const renamed = await client
        .patch(`/api/v1/clients/${invoice.client.id}`)
        .loginAs(user)
        .json({ name })
      renamed.assertStatus(200)
      const draft = await draftOf(client, user, csvWith('clientName', name))
      assert.deepEqual(draft.rows[0].errors, [])
      assert.equal(draft.rows[0].data.clientName, name)
    }
  })

  test('an invoice number of 50 printable characters and the due dates at both bounds are accepted', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const number = `Facture n°2027/${'0'.repeat(35)}`
    assert.lengthOf(number, 50)
    const earliest = today().minus({ years: 10 }).toISODate()!
    const latest = today().plus({ years: 5 }).toISODate()!

    const long = await client
      .post('/api/v1/invoices')
      .loginAs(user)
      .json(invoicePayload({ number, dueDate: earliest }))
    const late = await client
      .post('/api/v1/invoices')
      .loginAs(user)
      .json(invoicePayload({ number: 'F-LATE', dueDate: latest }))

    long.assertStatus(201)
    assert.equal(long.body().data.number, number)
    assert.equal(long.body().data.dueDate, earliest)
    late.assertStatus(201)
    assert.equal(late.body().data.dueDate, latest)
    const draft = await draftOf(
      client,
      user,
      csvWith('number', number.replace('Facture', 'Avoir-1'))
    )
    assert.deepEqual(draft.rows[0].errors, [])
  })
})
