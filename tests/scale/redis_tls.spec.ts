import { test } from '@japa/runner'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppProcess, freePort, startApp } from '#tests/helpers/app_processes'
import { selfSignedCertificate } from '#tests/helpers/certificates'
import {
  checkinEmailsPerInvoice,
  freelancerWithInvoicesDue,
  oncePerInvoice,
  waitForCheckinsSent,
} from '#tests/helpers/checkin_flow'
import { RedisServer } from '#tests/helpers/redis_server'
import { processSceneForEach } from '#tests/helpers/running_app'
import { holdsFor } from '#tests/helpers/wait_for'

const ACL_USER = 'relance-app'
const ACL_PASSWORD = 'a-long-acl-password'

test.group('Scale: managed Redis over TLS with an ACL user', (group) => {
  const scene = processSceneForEach(group)
  let certDir: string
  let certificate: Awaited<ReturnType<typeof selfSignedCertificate>>
  let redis: RedisServer

  group.each.setup(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'relance-redis-tls-'))
    certificate = await selfSignedCertificate(certDir)
    // TLS only (no plain port); the default user off: the ACL user or nothing
    const port = await freePort()
    redis = scene.stopAfterProcesses(
      await RedisServer.start(port, {
        args: [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          certificate.certPath,
          '--tls-key-file',
          certificate.keyPath,
          '--tls-auth-clients',
          'no',
          '--user',
          'default',
          'off',
          '--user',
          ACL_USER,
          'on',
          `>${ACL_PASSWORD}`,
          '~*',
          '&*',
          '+@all',
        ],
      })
    )
    return () => rm(certDir, { recursive: true, force: true })
  })

  const tlsEnv = () => ({
    ...scene.smtpEnv,
    REDIS_PORT: String(redis.port),
    REDIS_TLS: 'true',
    REDIS_USERNAME: ACL_USER,
    REDIS_PASSWORD: ACL_PASSWORD,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
  })

  test('web and worker send each check-in once through it', async ({ assert }) => {
    const app = await startApp(tlsEnv())
    scene.track(app.web)
    scene.track(app.worker)
    const email = 'tls@example.test'
    const { invoices } = await freelancerWithInvoicesDue(app, scene.inbox, email, 3, 'TLS')
    await waitForCheckinsSent(scene.inbox, email, invoices)
    const once = JSON.stringify(oncePerInvoice(invoices))
    await holdsFor(
      'one email per invoice',
      () => JSON.stringify(checkinEmailsPerInvoice(scene.inbox, email, invoices)) === once,
      { forMs: 1_000 }
    )
    assert.deepEqual(
      checkinEmailsPerInvoice(scene.inbox, email, invoices),
      oncePerInvoice(invoices)
    )
  }).timeout(90_000)

  test('a certificate no CA vouches for is refused', async ({ assert }) => {
    const untrusted: Record<string, string> = tlsEnv()
    delete untrusted.NODE_EXTRA_CA_CERTS
    const worker = scene.track(new AppProcess('worker', untrusted))
    await worker.waitForOutput('self-signed certificate')
    assert.notInclude(worker.output, 'worker consuming')
  }).timeout(60_000)
})
