import { test } from '@japa/runner'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { AddressInfo } from 'node:net'
import CheckinTask from '#models/checkin_task'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { freelancerEmail, freelancersWithInvoicesDue } from '#tests/helpers/faults'
import { countRows } from '#tests/helpers/rows'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'
import { selfSignedCertificate } from '#tests/helpers/certificates'

const USERNAME = 'relance-mailer'
const PASSWORD = 'the-right-password'

type Received = { mail: ParsedMail; secure: boolean; user: unknown }

/**
 * An SMTP server as a real provider runs it: STARTTLS with a certificate,
 * AUTH required (and refused before TLS), no mail over a plain session.
 */
async function startSecureSmtp(key: Buffer, cert: Buffer) {
  const received: Received[] = []
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === USERNAME && auth.password === PASSWORD) {
        return callback(null, { user: USERNAME })
      }
      callback(
        Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 })
      )
    },
    onMailFrom(_address, session, callback) {
      if (!session.secure) {
        return callback(
          Object.assign(new Error('Must issue a STARTTLS command first'), { responseCode: 530 })
        )
      }
      callback()
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, secure: session.secure, user: session.user })
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    received,
    port: (server.server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

test.group('SMTP over STARTTLS with AUTH, as real providers run it', (group) => {
  const scene = processSceneForEach(group)
  let dir: string
  let smtp: Awaited<ReturnType<typeof startSecureSmtp>>
  let certPath: string

  group.each.setup(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relance-smtp-tls-'))
    const certificate = await selfSignedCertificate(dir)
    certPath = certificate.certPath
    // Stopped once the worker is: its pooled session would hold the server's close
    smtp = scene.stopAfterProcesses(await startSecureSmtp(certificate.key, certificate.cert))
    return () => rm(dir, { recursive: true, force: true })
  })

  /** The worker's SMTP settings for a provider that requires TLS and a login. */
  const providerEnv = (password: string) => ({
    SMTP_HOST: 'localhost',
    SMTP_PORT: String(smtp.port),
    SMTP_REQUIRE_TLS: 'true',
    SMTP_USERNAME: USERNAME,
    SMTP_PASSWORD: password,
    // The test's certificate authority, beside the system ones
    NODE_EXTRA_CA_CERTS: certPath,
  })

  test('the check-in email goes out over TLS, logged in, the certificate checked', async ({
    assert,
  }) => {
    await freelancersWithInvoicesDue(1, 'tls')
    await scene.startWorker(providerEnv(PASSWORD))

    const [delivery] = await waitFor('the check-in email', () =>
      smtp.received.length > 0 ? smtp.received : undefined
    )
    assert.isTrue(delivery.secure)
    assert.equal(delivery.user, USERNAME)
    assert.equal([delivery.mail.to].flat()[0]!.value[0].address, freelancerEmail('tls', 1))
    await waitFor(
      'the task to be sent',
      async () => (await countRows('checkin_tasks', { status: 'sent' })) === 1
    )
  })

  test('a wrong password fails the job at once, with the reason, and nothing is marked sent', async ({
    assert,
  }) => {
    const [{ invoice }] = await freelancersWithInvoicesDue(1, 'tls-wrong')
    const task = await CheckinTask.query().where('invoice_id', invoice.id).firstOrFail()
    const worker = await scene.startWorker(providerEnv('a-wrong-password'))
    const queue = getQueue('checkins')
    const jobId = sendCheckinJob.jobId(task.id)

    await waitFor('the job to fail', async () => (await queue.getJobState(jobId)) === 'failed', {
      timeoutMs: 20_000,
    })
    const job = (await queue.getJob(jobId))!
    assert.equal(job.attemptsMade, 1, 'a refused login is not retried')
    assert.include(job.failedReason, 'Invalid login: 535')
    // The worker's log says why (its `failed` handler runs just after the state changes)
    await worker.waitForOutput('Invalid login: 535')
    assert.lengthOf(smtp.received, 0)
    assert.equal(await countRows('checkin_tasks', { id: task.id, status: 'scheduled' }), 1)
    assert.equal(await countRows('activity_events', { type: 'checkin_sent' }), 0)
  })
})
