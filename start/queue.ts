/*
| The queues, named once each here, and the job that owns each one: its
| payload, job id, handler and how a lost job is rebuilt. Preloaded by every
| process (the web enqueues, `node ace queue:work` consumes).
*/
import { registerWorker } from '#queue/workers'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendRelanceJob from '#jobs/send_relance_job'
import sendVerificationJob from '#jobs/send_verification_job'
import sendThankYouJob from '#jobs/send_thank_you_job'
import sendClientNoticeJob from '#jobs/send_client_notice_job'
import deliverWebhookJob from '#jobs/deliver_webhook_job'
import processInboundMessageJob from '#jobs/process_inbound_message_job'

registerWorker('checkins', sendCheckinJob)
registerWorker('relances', sendRelanceJob)
registerWorker('verifications', sendVerificationJob)
registerWorker('thank-yous', sendThankYouJob)
registerWorker('client-notices', sendClientNoticeJob)
registerWorker('webhooks', deliverWebhookJob)
registerWorker('inbound', processInboundMessageJob)
