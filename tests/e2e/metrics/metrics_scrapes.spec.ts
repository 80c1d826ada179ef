import { test } from '@japa/runner'
import { freePort, postInvoiceOn, registerVerifiedOn, startApp } from '#tests/helpers/app_processes'
import { parseScrape, sampleValue } from '#tests/helpers/prometheus'
import { processSceneForEach } from '#tests/helpers/running_app'
import { waitFor } from '#tests/helpers/wait_for'

const TOKEN = 'scrape-token'

async function scrape(url: string) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (response.status !== 200) throw new Error(`scrape of ${url} answered ${response.status}`)
  return parseScrape(await response.text())
}

test.group('Metrics of each process, scraped as Prometheus does', (group) => {
  const scene = processSceneForEach(group)

  test('the web and worker scrapes parse and move as requests come and emails go out or fail', async ({
    assert,
  }) => {
    const workerPort = await freePort()
    const app = await startApp({
      ...scene.smtpEnv,
      CHECKIN_PAST_DUE_DELAY_MS: '200',
      METRICS_TOKEN: TOKEN,
      WORKER_METRICS_PORT: String(workerPort),
    })
    scene.track(app.web)
    scene.track(app.worker)
    const web = `${app.baseUrl}/api/v1/metrics`
    const worker = `http://127.0.0.1:${workerPort}/metrics`
    const unauthorized = await fetch(worker)
    assert.equal(unauthorized.status, 401, 'the worker asks for the token too')

    const before = await scrape(worker)
    assert.equal(sampleValue(before, 'relance_emails_sent_total', { kind: 'checkin' }), 0)
    for (const queue of ['checkins', 'relances', 'verifications', 'thank-yous', 'webhooks']) {
      assert.isTrue(
        before.samples.some(
          (sample) => sample.name === 'relance_queue_lag_seconds' && sample.labels.queue === queue
        ),
        `lag of ${queue}`
      )
      assert.isTrue(
        before.samples.some(
          (sample) =>
            sample.name === 'relance_queue_jobs' &&
            sample.labels.queue === queue &&
            sample.labels.state === 'delayed'
        ),
        `jobs of ${queue}`
      )
    }

    const token = await registerVerifiedOn(app, scene.inbox, 'camille@example.test')
    await postInvoiceOn(app, token, { number: 'F-MET-1', amountCents: 10_000 })
    await scene.inbox.waitForMessageTo('camille@example.test')
    // The job completes just after its email is counted
    const completed = { queue: 'checkins', outcome: 'completed' }
    const sent = await waitFor('the check-in and its job counted', async () => {
      const now = await scrape(worker)
      return (
        sampleValue(now, 'relance_emails_sent_total', { kind: 'checkin' }) === 1 &&
        sampleValue(now, 'relance_jobs_processed_total', completed) >= 1 &&
        now
      )
    })
    assert.equal(sampleValue(sent, 'relance_emails_sent_total', { kind: 'verification' }), 1)

    // The SMTP server refuses the next one for good
    scene.inbox.refuseWith = 550
    await postInvoiceOn(app, token, { number: 'F-MET-2', amountCents: 20_000 })
    const failed = await waitFor('the refused check-in counted', async () => {
      const now = await scrape(worker)
      return (
        sampleValue(now, 'relance_emails_failed_total', {
          kind: 'checkin',
          reason: 'address_refused',
        }) === 1 && now
      )
    })
    assert.equal(sampleValue(failed, 'relance_emails_sent_total', { kind: 'checkin' }), 1)

    const webScrape = await scrape(web)
    assert.equal(
      sampleValue(webScrape, 'relance_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/invoices',
        status: '201',
      }),
      2
    )
    // The worker sends; the web only counts its requests
    assert.equal(sampleValue(webScrape, 'relance_emails_sent_total', { kind: 'checkin' }), 0)
  })
})
