import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { DEMO_ACCOUNT, DEMO_CLIENT } from '#database/seeders/demo_account_seeder'
import { checkinPage } from '#tests/helpers/checkin_links'
import { NodeProcess, freePort } from '#tests/helpers/app_processes'
import { NpmScript, aliveIn, killGroups, processGroupsBelow } from '#tests/helpers/npm_script'
import { SmtpInbox, checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { dropQueueKeys } from '#tests/helpers/state'
import { DEFAULT_ZONE } from '#tests/helpers/invoice_requests'
import { waitFor } from '#tests/helpers/wait_for'

/** `npm run dev` gets a database and queues of its own, emptied before each test. */
const DEV_DATABASE = `${env.get('DB_DATABASE')}_dev`
const DEV_QUEUE_PREFIX = `${env.get('QUEUE_PREFIX')}-dev`

type DevInboxEmail = { to: { address: string }[]; subject: string; text: string }

async function resetDevState() {
  await db.rawQuery('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [DEV_DATABASE])
  await dropQueueKeys(DEV_QUEUE_PREFIX)
}

/**
 * The environment of `npm run dev` on free ports; SMTP on `smtpPort` when
 * given; inbound mail on (the receiver on a free port) or off.
 */
async function devEnvironment(smtpPort?: number, { inbound = false } = {}) {
  const port = await freePort()
  const inboxPort = await freePort()
  const inboundPort = await freePort()
  return {
    inboundPort,
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    inboxUrl: `http://127.0.0.1:${inboxPort}`,
    env: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_URL: `http://127.0.0.1:${port}`,
      DB_DATABASE: DEV_DATABASE,
      QUEUE_PREFIX: DEV_QUEUE_PREFIX,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort ?? (await freePort())),
      DEV_INBOX_PORT: String(inboxPort),
      CHECKIN_PAST_DUE_DELAY_MS: '500',
      INBOUND_DOMAIN: inbound ? 'inbound.localhost' : '',
      INBOUND_SMTP_PORT: String(inboundPort),
    },
  }
}

/**
 * Starts `npm run dev` and resolves with it and the process groups of its
 * whole tree once the API and the worker are up. Whatever is left of those
 * groups is killed after the test.
 */
async function startDev(
  environment: Record<string, string>,
  cleanup: (handler: () => Promise<void>) => void
) {
  const dev = new NpmScript('dev', environment)
  const groups = new Set([dev.pid])
  cleanup(async () => {
    if (!dev.hasExited) for (const group of await processGroupsBelow(dev.pid)) groups.add(group)
    killGroups(groups)
  })
  await dev.waitForOutput('Relance is running', 60_000)
  await dev.waitForOutput('worker consuming')
  for (const group of await processGroupsBelow(dev.pid)) groups.add(group)
  return { dev, groups }
}

/**
 * The demo account, made by `npm run db:seed` as the README says; `startedAt`
 * is the moment (the clock the app reads too) just before it ran.
 */
async function seedDemo(environment: Record<string, string>) {
  const startedAt = DateTime.now()
  const seed = new NpmScript('db:seed', environment)
  if ((await seed.exited) !== 0) throw new Error(`npm run db:seed failed:\n${seed.output}`)
  return { output: seed.output, startedAt }
}

/** The due date of a demo invoice, read through the API as the README's step 3 does. */
async function demoDueDate(apiUrl: string, number: string): Promise<string> {
  const login = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password }),
  })
  const { data: session } = (await login.json()) as { data: { token: string } }
  const list = await fetch(`${apiUrl}/invoices?perPage=100`, {
    headers: { authorization: `Bearer ${session.token}` },
  })
  const { data: invoices } = (await list.json()) as {
    data: { number: string; dueDate: string }[]
  }
  return invoices.find((invoice) => invoice.number === number)!.dueDate
}

/** How far ahead a check-in email gathers the user's other due check-ins (the digest). */
const DIGEST_WINDOW = { seconds: 60 }

/**
 * The README's promise for the demo's first email, at any hour: the
 * check-in of DEMO-1 (due yesterday), which lists DEMO-2 (due today) too
 * when the seed ran at or after 09:00 Paris time on DEMO-2's due day — both
 * were due, so one digest, "2 factures" — and comes alone when it went out
 * more than the digest's window before that 09:00. Within that last minute
 * before 09:00 either is right.
 */
async function assertDemoCheckin(
  assert: Assert,
  email: { subject: string; text?: string },
  { apiUrl, seededAt, receivedAt }: { apiUrl: string; seededAt: DateTime; receivedAt: DateTime }
) {
  const text = email.text ?? ''
  assert.include(text, 'DEMO-1')
  const demo2CheckinAt = DateTime.fromISO(await demoDueDate(apiUrl, 'DEMO-2'), {
    zone: DEFAULT_ZONE,
  }).set({ hour: 9 })
  if (seededAt >= demo2CheckinAt) {
    assert.equal(email.subject, 'As-tu été payé ? 2 factures')
    assert.include(text, 'DEMO-2')
  } else if (receivedAt.plus(DIGEST_WINDOW) < demo2CheckinAt) {
    assert.equal(email.subject, 'As-tu été payé ? Facture DEMO-1 (Atelier Dupont)')
    assert.notInclude(text, 'DEMO-2')
  }
  // Neither: it went out within the minute before DEMO-2's 09:00, which may have joined it
}

function waitUntilNoneLeft(groups: Set<number>) {
  return waitFor(
    'no process of npm run dev left',
    async () => {
      const alive = await aliveIn(groups)
      return alive.length === 0
    },
    { timeoutMs: 10_000, intervalMs: 100 }
  )
}

test.group('npm run dev', (group) => {
  group.each.setup(() => resetDevState())

  test('serves the API and a dev inbox that receives the demo check-in, and stops whole on SIGTERM to npm', async ({
    assert,
    cleanup,
  }) => {
    const { apiUrl, inboxUrl, env: devEnv } = await devEnvironment()
    const { dev, groups } = await startDev(devEnv, cleanup)
    // npm runs on the machine's Node; the script on the project's
    assert.include(dev.output, 'Relance is running on Node.js v24.')
    assert.include(dev.output, `Inbox  ${inboxUrl}  maildev, started by npm run dev`)
    assert.include(dev.output, 'Reply  off (INBOUND_DOMAIN is empty)')
    const health = await fetch(`${apiUrl}/health`)
    assert.equal(health.status, 200)
    const page = await fetch(`${inboxUrl}/`, { headers: { accept: 'text/html' } })
    assert.equal(page.status, 200)
    assert.include(page.headers.get('content-type'), 'text/html')

    const seed = await seedDemo(devEnv)
    assert.include(
      seed.output,
      `Demo account: ${DEMO_ACCOUNT.email}, password ${DEMO_ACCOUNT.password}`
    )
    const checkin = await waitFor(
      'the demo check-in in the dev inbox',
      async () => {
        const response = await fetch(`${inboxUrl}/api/email`)
        const emails = (await response.json()) as DevInboxEmail[]
        return emails.find((email) => email.to.some((to) => to.address === DEMO_ACCOUNT.email))
      },
      { timeoutMs: 20_000, intervalMs: 200 }
    )
    await assertDemoCheckin(assert, checkin, {
      apiUrl,
      seededAt: seed.startedAt,
      receivedAt: DateTime.now(),
    })
    // The link as a user clicks it in the inbox
    const click = await fetch(`${apiUrl}/checkin/${checkinTokenFrom(checkin)}/paid`, {
      redirect: 'manual',
    })
    assert.equal(click.status, 302)
    assert.equal(click.headers.get('location'), checkinPage('paid'))

    dev.terminate()
    await waitUntilNoneLeft(groups)
    assert.include(dev.output, 'stopping: npm exited')
  }).timeout(120_000)

  test('sends to the SMTP server already listening, takes replies with its receiver, and stops whole on Ctrl-C', async ({
    assert,
    cleanup,
  }) => {
    const smtp = await SmtpInbox.start()
    cleanup(() => smtp.close())
    const {
      apiUrl,
      inboxUrl,
      inboundPort,
      env: devEnv,
    } = await devEnvironment(smtp.port, { inbound: true })
    const { dev, groups } = await startDev(devEnv, cleanup)
    assert.include(dev.output, `Inbox  the SMTP server already listening on 127.0.0.1:${smtp.port}`)
    await dev.waitForOutput('inbound receiver listening')
    assert.include(dev.output, `Reply  SMTP 127.0.0.1:${inboundPort} for reply+…@inbound.localhost`)
    await assert.rejects(() => fetch(inboxUrl), 'fetch failed')

    const seed = await seedDemo(devEnv)
    const [checkin] = await smtp.waitForMessageTo(DEMO_ACCOUNT.email)
    await assertDemoCheckin(
      assert,
      { subject: checkin.subject ?? '', text: checkin.text },
      {
        apiUrl,
        seededAt: seed.startedAt,
        receivedAt: DateTime.now(),
      }
    )
    // DEMO-1's relance, sent at once with its PDF: its last line opens the client's page
    const [relance] = await smtp.waitForMessageTo(DEMO_CLIENT.clientEmail)
    assert.deepEqual(
      relance.attachments.map(({ filename, contentType }) => [filename, contentType]),
      [['DEMO-1.pdf', 'application/pdf']]
    )
    assert.equal(relance.attachments[0].content.subarray(0, 5).toString(), '%PDF-')
    const link = /(https?:\/\/\S+\/client\/[\w-]{43})\s*$/.exec(relance.text ?? '')
    assert.exists(link, relance.text)
    const page = await fetch(link![1])
    assert.equal(page.status, 200)
    const html = await page.text()
    assert.include(html, 'Facture DEMO-1')
    assert.include(html, 'Télécharger la facture DEMO-1 (PDF,')

    // The client answers it, as the README says, through the receiver
    const replyTo = relance.replyTo!.value[0].address!
    assert.match(replyTo, /^reply\+[a-z2-7]{32}@inbound\.localhost$/)
    const sendTest = new NodeProcess(
      ['ace.js', 'inbound:send-test', replyTo, '--text', 'Virement parti ce matin.'],
      devEnv
    )
    assert.equal(await sendTest.exited, 0, sendTest.output)
    // Alone, or in the digest of a check-in due at the same moment
    await waitFor(
      'the reply quoted to the freelancer',
      () =>
        smtp
          .to(DEMO_ACCOUNT.email)
          .some((mail) => mail.text?.includes('> Virement parti ce matin.')),
      { timeoutMs: 20_000 }
    )

    dev.interrupt()
    await waitUntilNoneLeft(groups)
    assert.include(dev.output, 'stopping: SIGINT')
  }).timeout(120_000)
})
