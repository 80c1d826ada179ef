/*
| The queues the worker process (`node ace queue:work`) consumes.
*/
import { registerWorker } from '#services/queue_workers'
import sendCheckinJob from '#jobs/send_checkin_job'
import sendRelanceJob from '#jobs/send_relance_job'

registerWorker('checkins', sendCheckinJob)
registerWorker('relances', sendRelanceJob)
