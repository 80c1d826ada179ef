import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import pLimit from 'p-limit'
import User from '#models/user'
import Relance from '#models/relance'
import { UserFactory } from '#database/factories/user_factory'
import { callApi, startWeb } from '#tests/helpers/app_processes'
import { dayFromToday } from '#tests/helpers/calendar'
import { checkinTokensIn } from '#tests/helpers/checkin_links'
import { relancesDueNow } from '#tests/helpers/faults'
import { RoundRobinProxy } from '#tests/helpers/round_robin_proxy'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { queuesIdle } from '#tests/helpers/state'
import { holdsFor, waitFor } from '#tests/helpers/wait_for'

/**
 * The size of the run: SCALE_TEST_FREELANCERS users sharing
 * SCALE_TEST_INVOICES invoices, by default 500 and 5,000 due at once (about
 * 2 minutes on 2 cores); smaller to try a change quickly (README, "Running
 * at scale").
 */
const FREELANCERS = Number(process.env.SCALE_TEST_FREELANCERS ?? 500)
const INVOICES = Number(process.env.SCALE_TEST_INVOICES ?? 5000)
const INVOICES_PER_FREELANCER = Math.max(3, Math.floor(INVOICES / FREELANCERS))
/** Each freelancer's invoices go to three clients in turn; the cap lets two of them hear. */
const CLIENTS_PER_FREELANCER = 3
const DAILY_CAP = 2
const WORKER_CONCURRENCY = 5
const WORKERS = 3

const freelancerEmail = (user: number) => `scale-${user}@example.test`
const clientEmail = (user: number, client: number) => `client-${user}-${client}@example.test`
const invoiceNumber = (user: number, invoice: number) => `S${user}-${invoice}`
/** The client of a freelancer's invoice n (from 1): round robin over their clients. */
const clientOf = (invoice: number) => ((invoice - 1) % CLIENTS_PER_FREELANCER) + 1

test.group('Scale: 2 web processes behind a balancer, 3 workers, one killed', (group) => {
  const scene = processSceneForEach(group)

  test('every check-in digest and relance goes out once, grouped per client, within the daily cap', async ({
    assert,
  }) => {
    const { inbox } = scene
    const appEnv = {
      ...scene.smtpEnv,
      // Everything validated comes due this long after: one wave for all users
      CHECKIN_PAST_DUE_DELAY_MS: '1000',
      MAX_CLIENT_EMAILS_PER_DAY: String(DAILY_CAP),
      RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    }
    const webs = [await startWeb(appEnv), await startWeb(appEnv)]
    for (const { web } of webs) scene.track(web)
    const proxy = scene.stopAfterProcesses(
      await RoundRobinProxy.start(webs.map(({ baseUrl }) => Number(new URL(baseUrl).port)))
    )
    const app = { baseUrl: proxy.baseUrl }
    const workers = []
    for (let n = 0; n < WORKERS; n++) {
      workers.push(await scene.startWorker(appEnv, { concurrency: WORKER_CONCURRENCY }))
    }

    // Verified freelancers (no check-in before each relance: one check-in per invoice)
    const users = await UserFactory.merge(
      Array.from({ length: FREELANCERS }, (_, index) => ({
        email: freelancerEmail(index + 1),
        checkinBeforeEachRelance: false,
      }))
    ).createMany(FREELANCERS)
    const tokens = await Promise.all(
      users.map(async (user) => {
        const token = await User.accessTokens.create(user)
        return token.value!.release()
      })
    )

    // Each freelancer imports their invoices, all due yesterday, through the balancer
    // (draft then validate), a few freelancers at a time
    const dueDate = dayFromToday(-1).toISODate()
    const imports = pLimit(4)
    await Promise.all(
      tokens.map((token, index) =>
        imports(async () => {
          const user = index + 1
          const rows = Array.from({ length: INVOICES_PER_FREELANCER }, (_, row) => ({
            number: invoiceNumber(user, row + 1),
            clientName: `Client ${user}-${clientOf(row + 1)}`,
            clientEmail: clientEmail(user, clientOf(row + 1)),
            amountCents: 10_000 + row,
            dueDate,
          }))
          const draft = await callApi(app, 'POST', '/import-batches', { token, body: { rows } })
          if (draft.status !== 201) throw new Error(`draft: ${JSON.stringify(draft.body)}`)
          const validated = await callApi(
            app,
            'POST',
            `/import-batches/${draft.body.data.id}/validate`,
            { token }
          )
          if (validated.status !== 200)
            throw new Error(`validate: ${JSON.stringify(validated.body)}`)
        })
      )
    )
    const invoiceCount = FREELANCERS * INVOICES_PER_FREELANCER
    assert.equal(await countRows('invoices'), invoiceCount)
    assert.isTrue(
      proxy.connections.every((count) => count > 0),
      `both web processes served: ${proxy.connections}`
    )

    // The check-in wave: SMTP answers slowly so sends are in flight, and one
    // worker is killed once a third of the digests are in
    inbox.delayMs = 200
    await waitFor(
      'a third of the check-in digests',
      () => inbox.messages.length >= FREELANCERS / 3,
      {
        timeoutMs: 60_000,
      }
    )
    const receivedBeforeKill = inbox.messages.length
    await workers[0].stop('SIGKILL')
    // Its jobs keep their lock for 15 s, then the stalled-job check hands them on
    await waitFor(
      'every check-in sent and the queues idle',
      async () =>
        (await countRows('checkin_tasks', { status: 'sent' })) === invoiceCount &&
        (await queuesIdle()),
      { timeoutMs: 120_000, intervalMs: 250 }
    )
    inbox.delayMs = 0

    // One digest per freelancer, listing every invoice of theirs with its own links
    const duplicates: string[] = []
    for (let user = 1; user <= FREELANCERS; user++) {
      const digests = inbox.to(freelancerEmail(user))
      assert.isAtLeast(digests.length, 1, `digest of freelancer ${user}`)
      if (digests.length > 1) duplicates.push(freelancerEmail(user))
      for (const digest of digests) {
        for (let n = 1; n <= INVOICES_PER_FREELANCER; n++) {
          assert.include(digest.text, invoiceNumber(user, n))
        }
        assert.lengthOf(new Set(checkinTokensIn(digest.text ?? '')), INVOICES_PER_FREELANCER)
      }
    }
    // The only second sends allowed are the README's SIGKILL window: an
    // email the SMTP server accepted just before the kill, its row rolled
    // back. Only sends in flight at the kill can be in it.
    const inFlightAtKill = WORKERS * WORKER_CONCURRENCY
    assert.isAtMost(duplicates.length, WORKER_CONCURRENCY, `sent twice: ${duplicates}`)
    for (const address of duplicates) {
      const first = inbox.messages.indexOf(inbox.to(address)[0])
      assert.isAtLeast(first, receivedBeforeKill - inFlightAtKill, `${address} sent twice`)
    }
    assert.equal(inbox.messages.length, FREELANCERS + duplicates.length)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), invoiceCount)

    // The relance wave: every first relance due now; two workers left
    inbox.clear()
    const firstRelances = await Relance.query().where('sequence', 1)
    const invoiceIds = firstRelances.map((row) => row.invoiceId)
    await relancesDueNow(invoiceIds, [1])
    await waitFor(
      'every due relance sent or deferred, and the queues idle',
      async () => {
        const due = await Relance.query()
          .where('sequence', 1)
          .where('status', 'scheduled')
          .where('scheduled_at', '<=', DateTime.now().toJSDate())
        return due.length === 0 && (await queuesIdle())
      },
      { timeoutMs: 120_000, intervalMs: 250 }
    )
    await holdsFor('no further relance email', () => inbox.messages.length === 2 * FREELANCERS, {
      forMs: 1_000,
    })

    // Per freelancer: one email to each of two clients listing all of that
    // client's invoices, the third client deferred by the cap, with the reason
    let expectedDeferred = 0
    for (let user = 1; user <= FREELANCERS; user++) {
      const heard = []
      for (let client = 1; client <= CLIENTS_PER_FREELANCER; client++) {
        const mails = inbox.to(clientEmail(user, client))
        assert.isAtMost(mails.length, 1, `relances to client ${user}-${client}`)
        const invoicesOfClient = Math.ceil(
          (INVOICES_PER_FREELANCER - client + 1) / CLIENTS_PER_FREELANCER
        )
        if (mails.length === 0) {
          expectedDeferred += invoicesOfClient
          continue
        }
        heard.push(client)
        for (let n = client; n <= INVOICES_PER_FREELANCER; n += CLIENTS_PER_FREELANCER) {
          assert.include(mails[0].text, invoiceNumber(user, n))
        }
      }
      assert.lengthOf(heard, DAILY_CAP, `clients of freelancer ${user} who heard`)
    }
    const sent = await Relance.query().where('sequence', 1).where('status', 'sent')
    const deferred = await Relance.query()
      .where('sequence', 1)
      .where('status', 'scheduled')
      .where('scheduled_at', '>', DateTime.now().toJSDate())
    assert.equal(sent.length + deferred.length, invoiceCount)
    assert.equal(deferred.length, expectedDeferred)
    const deferredFor = await db
      .from('activity_events')
      .where('type', 'relance_deferred')
      .countDistinct('user_id as users')
    assert.equal(
      Number(deferredFor[0].users),
      FREELANCERS,
      'every freelancer is told of a deferral'
    )
  })
})
