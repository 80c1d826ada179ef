import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/*
| The Prometheus metrics of this process, one registry per process (web,
| worker, inbound receiver), each metric created once here. Every process
| exposes every metric; each moves in the process that does the work:
| requests in the web, emails, jobs, webhooks and inbound messages (once
| classified) in the worker. Served by GET /api/v1/metrics (web) and
| serveMetrics() (app/metrics/metrics_server.ts) on a port of their own.
*/

export const registry = new Registry()

// Node's own (CPU, memory, event loop lag, GC), under their usual names for stock dashboards
collectDefaultMetrics({ register: registry })

/** Labelled by the route's pattern (`/api/v1/checkin/:token/paid`), never by the path a token is in. */
export const httpRequestDuration = new Histogram({
  name: 'relance_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status, and how long they took',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
})

export type EmailKind = 'checkin' | 'relance' | 'thank_you' | 'verification'

export const emailsSent = new Counter({
  name: 'relance_emails_sent_total',
  help: 'Emails the SMTP server accepted, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
})

export const emailsFailed = new Counter({
  name: 'relance_emails_failed_total',
  help: 'Attempts to send an email that failed, by kind and reason (a retried email counts once per attempt)',
  labelNames: ['kind', 'reason'] as const,
  registers: [registry],
})

export const jobsProcessed = new Counter({
  name: 'relance_jobs_processed_total',
  help: 'Jobs the workers of this process ran, by queue and outcome (completed, failed, delayed)',
  labelNames: ['queue', 'outcome'] as const,
  registers: [registry],
})

export const webhookDeliveries = new Counter({
  name: 'relance_webhook_deliveries_total',
  help: 'Webhook attempts by outcome (delivered, retrying, failed: the last attempt) and reason of a failure (http_status, timeout, network, refused_address)',
  labelNames: ['outcome', 'reason'] as const,
  registers: [registry],
})

/** Incremented once per inbound message, when the worker has classified and processed it. */
export const inboundMessages = new Counter({
  name: 'relance_inbound_messages_total',
  help: 'Inbound messages received, by kind (reply, auto_reply, bounce, unknown)',
  labelNames: ['kind'] as const,
  registers: [registry],
})
