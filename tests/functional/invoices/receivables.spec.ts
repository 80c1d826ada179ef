import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { ClientFactory } from '#database/factories/client_factory'
import { UserFactory } from '#database/factories/user_factory'
import {
  AGE_BUCKETS,
  receivablesOf,
  type AgeBucket,
  type CurrencyReceivables,
} from '#services/invoices/receivables'
import { resetState } from '#tests/helpers/state'

type Seeded = {
  currency: string
  amountCents: number
  status: 'pending' | 'paid' | 'cancelled'
  issuedAt: string | null
  dueDate: string
  paidAt: DateTime | null
  createdAt: DateTime
  /** A `payment_promised` hold: it ends at 09:00 the day after the promised date. */
  promisedOn?: string
}

/** A small deterministic generator: the same year of invoices on every run. */
function random(start: number) {
  let state = start
  return (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state % n
  }
}

/**
 * A year of invoices before `today` (a date in `zone`), issued every day or
 * two, in two currencies, paid early, on the day or late, near midnight in
 * the user's zone too; some pending, some cancelled, a few without an issue
 * date.
 */
function aYearOfInvoices(today: DateTime): Seeded[] {
  const pick = random(24)
  // Promises of pending invoices: from yesterday's (ended) to five weeks ahead
  const promise = random(7)
  const invoices: Seeded[] = []
  for (let day = 365; day >= 0; day -= 1 + pick(2)) {
    const issued = today.minus({ days: day })
    const due = issued.plus({ days: [0, 15, 30, 45, 60][pick(5)] })
    const roll = pick(10)
    const status = roll < 6 ? 'paid' : roll < 9 ? 'pending' : 'cancelled'
    let paidAt: DateTime | null = null
    if (status === 'paid') {
      // Paid 10 days early to 70 days late, at 23:59 or 00:01 of that day in the user's zone
      const paidDay = due.plus({ days: pick(81) - 10 })
      const candidate =
        pick(2) === 0 ? paidDay.set({ hour: 23, minute: 59 }) : paidDay.set({ hour: 0, minute: 1 })
      paidAt = candidate > today.endOf('day') ? null : candidate
    }
    const promised = status === 'pending' && promise(3) === 0
    invoices.push({
      promisedOn: promised ? today.plus({ days: promise(37) - 1 }).toISODate()! : undefined,
      currency: pick(3) === 0 ? 'USD' : 'EUR',
      amountCents: 10_000 + pick(500_000),
      status: status === 'paid' && !paidAt ? 'pending' : status,
      issuedAt: pick(15) === 0 ? null : issued.toISODate(),
      dueDate: due.toISODate()!,
      paidAt,
      createdAt: issued.set({ hour: 23, minute: 30 }),
    })
  }
  return invoices
}

async function seed(user: User, invoices: Seeded[]) {
  const client = await ClientFactory.merge({ userId: user.id }).create()
  await db.table('invoices').multiInsert(
    invoices.map((invoice, index) => ({
      user_id: user.id,
      client_id: client.id,
      number: `S-${index + 1}`,
      amount_cents: invoice.amountCents,
      currency: invoice.currency,
      issued_at: invoice.issuedAt,
      due_date: invoice.dueDate,
      status: invoice.status,
      paid_at: invoice.paidAt?.toJSDate() ?? null,
      paid_via: invoice.paidAt ? 'manual' : null,
      created_at: invoice.createdAt.toJSDate(),
      updated_at: invoice.createdAt.toJSDate(),
      hold_reason: invoice.promisedOn ? 'payment_promised' : null,
      hold_until: invoice.promisedOn
        ? DateTime.fromISO(invoice.promisedOn, { zone: user.timezone })
            .plus({ days: 1 })
            .set({ hour: 9 })
            .toJSDate()
        : null,
      held_at: invoice.promisedOn ? invoice.createdAt.toJSDate() : null,
    }))
  )
}

const round = (value: number, decimals: number) =>
  Math.round(value * 10 ** decimals) / 10 ** decimals

/** The same figures computed here, invoice by invoice, with luxon in the user's zone. */
function expectedReceivables(
  invoices: Seeded[],
  today: DateTime,
  now: DateTime
): CurrencyReceivables[] {
  const currencies = [
    ...new Set(invoices.filter((i) => i.status !== 'cancelled').map((i) => i.currency)),
  ].sort()
  const dayOf = (date: string) => DateTime.fromISO(date, { zone: today.zone })
  const daysBetween = (from: DateTime, to: DateTime) =>
    Math.round(to.startOf('day').diff(from.startOf('day'), 'days').days)
  return currencies.map((currency) => {
    const mine = invoices.filter((i) => i.currency === currency && i.status !== 'cancelled')
    const pending = mine.filter((i) => i.status === 'pending')
    const bucketOf = (invoice: Seeded): AgeBucket => {
      const late = daysBetween(dayOf(invoice.dueDate), today)
      if (late <= 0) return 'not_due'
      if (late <= 30) return '1-30'
      if (late <= 60) return '31-60'
      if (late <= 90) return '61-90'
      return '90+'
    }
    const sum = (list: Seeded[]) => list.reduce((total, i) => total + i.amountCents, 0)
    const outstandingCents = sum(pending)
    const invoiced = mine.filter((invoice) => {
      const issued = invoice.issuedAt
        ? dayOf(invoice.issuedAt)
        : invoice.createdAt.setZone(today.zone).startOf('day')
      const age = daysBetween(issued, today)
      return age >= 0 && age < 90
    })
    const paid = mine.filter(
      (i) => i.paidAt && daysBetween(i.paidAt.setZone(today.zone), today) < 365
    )
    const promises = new Map<string, { cents: number; count: number }>()
    for (const invoice of pending) {
      if (!invoice.promisedOn) continue
      const promisedOn = dayOf(invoice.promisedOn)
      if (promisedOn.plus({ days: 1 }).set({ hour: 9 }) <= now) continue
      const weekOf = promisedOn.startOf('week').toISODate()!
      const week = promises.get(weekOf) ?? { cents: 0, count: 0 }
      promises.set(weekOf, { cents: week.cents + invoice.amountCents, count: week.count + 1 })
    }
    const daysLate = paid.map((i) =>
      Math.max(0, daysBetween(dayOf(i.dueDate), i.paidAt!.setZone(today.zone)))
    )
    return {
      currency,
      outstanding: {
        cents: outstandingCents,
        count: pending.length,
        byAge: AGE_BUCKETS.map((bucket) => {
          const inBucket = pending.filter((invoice) => bucketOf(invoice) === bucket)
          return { bucket, cents: sum(inBucket), count: inBucket.length }
        }),
      },
      dso: {
        days: sum(invoiced) > 0 ? round((outstandingCents / sum(invoiced)) * 90, 1) : null,
        periodDays: 90,
        invoicedCents: sum(invoiced),
      },
      payments: {
        periodDays: 365,
        count: paid.length,
        onTimeRate: paid.length
          ? round(daysLate.filter((d) => d === 0).length / paid.length, 4)
          : null,
        averageDaysLate: paid.length
          ? round(daysLate.reduce((a, b) => a + b, 0) / paid.length, 1)
          : null,
      },
      promised: [...promises.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([weekOf, week]) => ({ weekOf, ...week })),
    }
  })
}

test.group('Receivables statistics', (group) => {
  group.each.setup(() => resetState())

  test(
    'a seeded year of invoices gives, in one statement, what is computed here invoice by invoice ({zone})'
  )
    .with([
      { zone: 'Pacific/Kiritimati', today: '2026-03-01' },
      { zone: 'America/Los_Angeles', today: '2026-11-02' },
      { zone: 'Europe/Paris', today: '2027-01-15' },
    ])
    .run(async ({ assert }, { zone, today: todayIso }) => {
      const user = await UserFactory.merge({ timezone: zone }).create()
      const today = DateTime.fromISO(todayIso, { zone })
      const invoices = aYearOfInvoices(today)
      await seed(user, invoices)
      // Another user's invoices count for nothing here
      await seed(await UserFactory.create(), aYearOfInvoices(today).slice(0, 20))

      const statements: string[] = []
      const knex = db.connection().getWriteClient()
      const listener = (query: { sql: string }) => statements.push(query.sql)
      knex.on('query', listener)
      // Noon in the user's zone: yesterday's promises have ended, today's still run
      const now = today.set({ hour: 12 })
      const computed = await receivablesOf(user, todayIso, now.toJSDate()).finally(() =>
        knex.off('query', listener)
      )

      assert.lengthOf(statements, 1)
      const expected = expectedReceivables(invoices, today, now)
      assert.deepEqual(computed, expected)
      // The seed covers every case the figures distinguish
      assert.sameMembers(
        computed.map((entry) => entry.currency),
        ['EUR', 'USD']
      )
      for (const entry of computed) {
        assert.isTrue(
          entry.outstanding.byAge.every((age) => age.count > 0),
          JSON.stringify(entry)
        )
        assert.isAbove(entry.payments.onTimeRate!, 0)
        assert.isBelow(entry.payments.onTimeRate!, 1)
        assert.isAbove(entry.promised.length, 1, JSON.stringify(entry.promised))
      }
      const ended = invoices.filter((i) => i.promisedOn && i.promisedOn < todayIso)
      assert.isAbove(ended.length, 0, 'an ended promise counts for nothing')
    })

  test('GET /stats answers the user’s receivables as of today in the user’s timezone', async ({
    client,
    assert,
  }) => {
    const zone = 'Pacific/Kiritimati'
    const user = await UserFactory.merge({ timezone: zone }).create()
    const today = DateTime.now().setZone(zone)
    // Far from any bucket's edge: the test holds at any hour
    await seed(
      user,
      [
        { days: -10, cents: 1_000 },
        { days: 15, cents: 2_000 },
        { days: 45, cents: 4_000 },
        { days: 75, cents: 8_000 },
        { days: 200, cents: 16_000 },
      ].map(({ days, cents }) => ({
        currency: 'EUR',
        amountCents: cents,
        status: 'pending',
        issuedAt: today.minus({ days: days + 30 }).toISODate(),
        dueDate: today.minus({ days }).toISODate()!,
        paidAt: null,
        createdAt: today.minus({ days: days + 30 }),
      }))
    )

    const response = await client.get('/api/v1/stats').loginAs(user)

    response.assertStatus(200)
    const { data } = response.body()
    assert.equal(data.timezone, zone)
    assert.oneOf(data.asOf, [today.toISODate(), DateTime.now().setZone(zone).toISODate()])
    const [eur] = data.currencies
    assert.equal(eur.outstanding.cents, 31_000)
    assert.deepEqual(
      eur.outstanding.byAge.map((age: { cents: number }) => age.cents),
      [1_000, 2_000, 4_000, 8_000, 16_000]
    )
    assert.deepEqual(eur.payments, {
      periodDays: 365,
      count: 0,
      onTimeRate: null,
      averageDaysLate: null,
    })

    const empty = await client.get('/api/v1/stats').loginAs(await UserFactory.create())
    assert.deepEqual(empty.body().data.currencies, [])
  })
})
