import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import mail from '@adonisjs/mail/services/main'
import encryption from '@adonisjs/core/services/encryption'
import env from '#start/env'
import User from '#models/user'
import CheckinTask from '#models/checkin_task'
import { UserFactory } from '#database/factories/user_factory'
import sendVerificationJob from '#jobs/send_verification_job'
import sendCheckinJob from '#jobs/send_checkin_job'
import { getQueue } from '#queue/queues'
import { generateLinkToken } from '#support/link_tokens'
import { register, registration } from '#tests/helpers/auth_requests'
import { createScheduledInvoice } from '#tests/helpers/invoices'
import { sentMessages } from '#tests/helpers/mail_fake'
import { resetState } from '#tests/helpers/state'
import { assertErrorBody } from '#tests/helpers/api_assertions'
import { waitFor } from '#tests/helpers/wait_for'
import { dayFromToday } from '#tests/helpers/calendar'

const verificationResult = (result: string) =>
  `${env.get('WEB_URL').replace(/\/+$/, '')}/email-verification/${result}`

/** An unverified user whose verification email went out `sentAt`, with its link's token. */
async function userWithSentVerification(sentAt = DateTime.now()) {
  const token = generateLinkToken()
  const user = await UserFactory.apply('unverified')
    .merge({ emailVerificationTokenHash: token.hashed, emailVerificationSentAt: sentAt })
    .create()
  return { user, token: token.plain }
}

test.group('Email verification', (group) => {
  group.each.setup(() => resetState({ rateLimits: true }))

  test('register answers an unverified user and queues the verification email', async ({
    client,
    assert,
  }) => {
    const response = await register(client)

    response.assertStatus(201)
    assert.isNull(response.body().data.user.emailVerifiedAt)
    const user = await User.findByOrFail('email', registration.email)
    assert.isNotNull(user.emailVerificationTokenHash)
    const job = await getQueue('verifications').getJob(sendVerificationJob.jobId(user.id))
    assert.exists(job)
  })

  test('the verification job emails the link once, in the user’s language', async ({ assert }) => {
    const fake = mail.fake()
    try {
      const token = generateLinkToken()
      const user = await UserFactory.apply('unverified')
        .apply('english')
        .merge({ emailVerificationTokenHash: token.hashed })
        .create()
      const job = await getQueue('verifications').add('send-verification', {
        userId: user.id,
        encryptedToken: encryption.encrypt(token.plain),
      })

      assert.equal(await sendVerificationJob.handle(job), 'sent')
      assert.equal(await sendVerificationJob.handle(job), 'skipped')

      const [message] = sentMessages(fake)
      message.assertTo(user.email)
      const text = message.toJSON().message.text as string
      assert.include(text, `/api/v1/auth/verify-email/${token.plain}`)
      assert.include(text, '48 hours')
      // Nothing the user typed: not even their name
      assert.notInclude(text, user.fullName)
      assert.deepEqual(message.toJSON().message.to, [user.email])
      await user.refresh()
      assert.isNotNull(user.emailVerificationSentAt)
    } finally {
      mail.restore()
    }
  })

  test('GET and HEAD of the link change nothing: GET shows a page whose button posts to the link', async ({
    client,
    assert,
  }) => {
    const { user, token } = await userWithSentVerification()

    const head = await client.head(`/api/v1/auth/verify-email/${token}`).redirects(0)
    head.assertStatus(204)
    // A mail scanner opens the link: a page, no verification
    const page = await client.get(`/api/v1/auth/verify-email/${token}`).redirects(0)
    page.assertStatus(200)
    assert.match(page.header('content-type')!, /^text\/html/)
    assert.equal(page.header('cache-control'), 'no-store')
    assert.equal(page.header('referrer-policy'), 'no-referrer')
    assert.equal(page.header('x-robots-tag'), 'noindex')
    assert.include(page.header('content-security-policy')!, "form-action 'self'")
    assert.include(page.header('content-security-policy')!, "frame-ancestors 'none'")
    assert.include(
      page.text(),
      `<form method="post" action="${env.get('APP_URL')}/api/v1/auth/verify-email/${token}">`
    )
    await user.refresh()
    assert.isNull(user.emailVerifiedAt)
  })

  test('the button verifies once with a 303, then says already verified', async ({
    client,
    assert,
  }) => {
    const { user, token } = await userWithSentVerification()

    const first = await client.post(`/api/v1/auth/verify-email/${token}`).redirects(0)
    first.assertStatus(303)
    assert.equal(first.header('location'), verificationResult('verified'))
    assert.equal(first.header('cache-control'), 'no-store')
    assert.equal(first.header('referrer-policy'), 'no-referrer')
    await user.refresh()
    assert.isNotNull(user.emailVerifiedAt)

    const second = await client.post(`/api/v1/auth/verify-email/${token}`).redirects(0)
    second.assertStatus(303)
    assert.equal(second.header('location'), verificationResult('already_verified'))
  })

  test('an expired, unknown or malformed link changes nothing', async ({ client, assert }) => {
    const { user, token } = await userWithSentVerification(DateTime.now().minus({ hours: 49 }))

    const expired = await client.post(`/api/v1/auth/verify-email/${token}`).redirects(0)
    assert.equal(expired.header('location'), verificationResult('expired'))
    for (const bad of [generateLinkToken().plain, 'short', 'x'.repeat(43)]) {
      const response = await client.post(`/api/v1/auth/verify-email/${bad}`).redirects(0)
      assert.equal(response.header('location'), verificationResult('invalid'), bad)
    }
    await user.refresh()
    assert.isNull(user.emailVerifiedAt)
  })

  test('verifying enqueues at once the check-ins that came due meanwhile', async ({
    client,
    assert,
  }) => {
    const { user, token } = await userWithSentVerification()
    const invoice = await createScheduledInvoice(user, {
      dueDate: dayFromToday(-1),
    })
    const task = await CheckinTask.findByOrFail('invoice_id', invoice.id)
    // Its job fired while the user was unverified: sent nothing, left the row scheduled
    await task.merge({ scheduledAt: DateTime.now().minus({ minutes: 5 }) }).save()
    const queue = getQueue('checkins')
    await queue.remove(sendCheckinJob.jobId(task.id))

    await client.post(`/api/v1/auth/verify-email/${token}`).redirects(0)

    const job = await waitFor('the check-in job to be back', () =>
      queue.getJob(sendCheckinJob.jobId(task.id))
    )
    assert.equal(job.opts.delay, 0)
    await task.refresh()
    assert.equal(task.status, 'scheduled')
  })

  test('resend gives a new link and answers 202; a verified user gets 409', async ({
    client,
    assert,
  }) => {
    const { user, token } = await userWithSentVerification()

    const response = await client.post('/api/v1/auth/verify-email/resend').loginAs(user)
    response.assertStatus(202)
    const stale = await client.post(`/api/v1/auth/verify-email/${token}`).redirects(0)
    assert.equal(stale.header('location'), verificationResult('invalid'))

    const verified = await UserFactory.create()
    const again = await client.post('/api/v1/auth/verify-email/resend').loginAs(verified)
    assertErrorBody(assert, again, 409)
  })
})
