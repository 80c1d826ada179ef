import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { DEMO_ACCOUNT, DEMO_CLIENT } from '#database/seeders/demo_account_seeder'
import { checkinPage } from '#tests/helpers/checkin_links'
import { freePort } from '#tests/helpers/app_processes'
import { NpmScript, aliveIn, killGroups, processGroupsBelow } from '#tests/helpers/npm_script'
import { SmtpInbox, checkinTokenFrom } from '#tests/helpers/smtp_inbox'
import { dropQueueKeys } from '#tests/helpers/state'
import { waitFor } from '#tests/helpers/wait_for'

/** `npm run dev` gets a database and queues of its own, emptied before each test. */
const DEV_DATABASE = `${env.get('DB_DATABASE')}_dev`
const DEV_QUEUE_PREFIX = `${env.get('QUEUE_PREFIX')}-dev`

type DevInboxEmail = { to: { address: string }[]; subject: string; text: string }

async function resetDevState() {
  await db.rawQuery('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [DEV_DATABASE])
  await dropQueueKeys(DEV_QUEUE_PREFIX)
}

/** The environment of `npm run dev` on free ports; SMTP on `smtpPort` when given. */
async function devEnvironment(smtpPort?: number) {
  const port = await freePort()
  const inboxPort = await freePort()
  return {
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

/** The demo account, made by `npm run db:seed` as the README says. */
async function seedDemo(environment: Record<string, string>) {
  const seed = new NpmScript('db:seed', environment)
  if ((await seed.exited) !== 0) throw new Error(`npm run db:seed failed:\n${seed.output}`)
  return seed.output
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
    const health = await fetch(`${apiUrl}/health`)
    assert.equal(health.status, 200)
    const page = await fetch(`${inboxUrl}/`, { headers: { accept: 'text/html' } })
    assert.equal(page.status, 200)
    assert.include(page.headers.get('content-type'), 'text/html')

    assert.include(
      await seedDemo(devEnv),
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
    assert.include(checkin.subject, 'DEMO-1')
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

  test('sends to the SMTP server already listening, and stops whole on Ctrl-C', async ({
    assert,
    cleanup,
  }) => {
    const smtp = await SmtpInbox.start()
    cleanup(() => smtp.close())
    const { inboxUrl, env: devEnv } = await devEnvironment(smtp.port)
    const { dev, groups } = await startDev(devEnv, cleanup)
    assert.include(dev.output, `Inbox  the SMTP server already listening on 127.0.0.1:${smtp.port}`)
    await assert.rejects(() => fetch(inboxUrl), 'fetch failed')

    await seedDemo(devEnv)
    const [checkin] = await smtp.waitForMessageTo(DEMO_ACCOUNT.email)
    // After 09:00 Paris time DEMO-2 is due too: one digest lists both
    assert.include(checkin.text, 'DEMO-1')
    // DEMO-1's relance, sent at once: its last line opens the client's page
    const [relance] = await smtp.waitForMessageTo(DEMO_CLIENT.clientEmail)
    const link = /(https?:\/\/\S+\/client\/[\w-]{43})\s*$/.exec(relance.text ?? '')
    assert.exists(link, relance.text)
    const page = await fetch(link![1])
    assert.equal(page.status, 200)
    assert.include(await page.text(), 'Facture DEMO-1')

    dev.interrupt()
    await waitUntilNoneLeft(groups)
    assert.include(dev.output, 'stopping: SIGINT')
  }).timeout(120_000)
})
