import { test } from '@japa/runner'
import encryption from '@adonisjs/core/services/encryption'
import CheckinTask from '#models/checkin_task'
import User from '#models/user'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendVerificationJob from '#jobs/send_verification_job'
import { getQueue } from '#queue/queues'
import { postInvoiceOn, registerOn, startWeb } from '#tests/helpers/app_processes'
import { processSceneForEach } from '#tests/helpers/running_app'
import { resetQueues } from '#tests/helpers/state'
import { checkinTokenFrom, verificationLinkFrom } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'

test.group('Email verification end to end', (group) => {
  const scene = processSceneForEach(group, { app: { CHECKIN_PAST_DUE_DELAY_MS: '200' } })

  test('nothing goes out for an unverified user; the link releases the check-in at once', async ({
    assert,
  }) => {
    const { app, inbox } = scene
    const token = await registerOn(app, 'camille@example.test')
    const created = await postInvoiceOn(app, token, { number: 'F-VERIFY-1', amountCents: 90_000 })
    assert.equal(created.status, 201)
    const task = await CheckinTask.findByOrFail('invoice_id', created.body.data.id)

    // The check-in's job runs and finds the address unverified
    await waitFor('the check-in job to run', async () => {
      const job = await getQueue('checkins').getJob(sendCheckinJob.jobId(task.id))
      return (await job?.getState()) === 'completed'
    })
    const [verification] = await inbox.waitForMessageTo('camille@example.test')
    assert.lengthOf(inbox.to('camille@example.test'), 1)
    assert.include(verification.subject, 'Confirme ton adresse')
    await task.refresh()
    assert.equal(task.status, 'scheduled')

    // A mail scanner opens the link first: a page, nothing verified, nothing sent
    const scanned = await fetch(verificationLinkFrom(verification), { redirect: 'manual' })
    assert.equal(scanned.status, 200)
    const user = await User.findByOrFail('email', 'camille@example.test')
    assert.isNull(user.emailVerifiedAt)
    assert.lengthOf(inbox.to('camille@example.test'), 1)

    // The user's click on the page's button
    const click = await fetch(verificationLinkFrom(verification), {
      method: 'POST',
      redirect: 'manual',
    })
    assert.equal(click.status, 303)
    assert.match(click.headers.get('location')!, /\/email-verification\/verified$/)

    const [, checkin] = await inbox.waitForMessageTo('camille@example.test', { count: 2 })
    assert.match(checkinTokenFrom(checkin), /^[A-Za-z0-9_-]{43}$/)
    // The row becomes `sent` when the transaction that sent the email commits
    await waitFor('the check-in task to be sent', async () => {
      await task.refresh()
      return task.status === 'sent'
    })
  })
})

test.group('Email verification when Redis lost the job', (group) => {
  const scene = processSceneForEach(group)

  test('the reconciler sends a new link, which verifies once, while the lost link answers invalid', async ({
    assert,
  }) => {
    // The web alone: the verification job waits in Redis, unsent
    const api = await startWeb()
    scene.track(api.web)
    await registerOn(api, 'camille@example.test')
    const user = await User.findByOrFail('email', 'camille@example.test')
    const lost = await getQueue('verifications').getJob(sendVerificationJob.jobId(user.id))
    const lostToken = encryption.decrypt<string>(lost!.data.encryptedToken)!
    await resetQueues()
    // The button of the link's page, as a user clicks it
    const answer = async (link: string) => {
      const click = await fetch(link, { method: 'POST', redirect: 'manual' })
      return click.headers.get('location')!.split('/').pop()
    }
    const lostLink = `${api.baseUrl}/api/v1/auth/verify-email/${lostToken}`

    // A worker starts: its reconciler finds the promised email without a job
    await scene.startWorker({ APP_URL: api.baseUrl, QUEUE_RECONCILE_GRACE_SECONDS: '0' })
    const [mail] = await scene.inbox.waitForMessageTo('camille@example.test')
    const link = verificationLinkFrom(mail)
    assert.notInclude(link, lostToken)

    assert.equal(await answer(lostLink), 'invalid')
    assert.equal(await answer(link), 'verified')
    assert.equal(await answer(link), 'already_verified')
    assert.equal(await answer(lostLink), 'invalid')
    await user.refresh()
    assert.isNotNull(user.emailVerifiedAt)
    assert.lengthOf(scene.inbox.to('camille@example.test'), 1)
  })
})
