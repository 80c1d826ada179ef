import app from '@adonisjs/core/services/app'
import env from '#start/env'

const webhooksConfig = {
  /**
   * The waits between the attempts of one delivery (WEBHOOK_RETRY_DELAYS):
   * by default 30 s, 2 min, 10 min, 1 h, 3 h, 8 h and 12 h, so the last of
   * its eight attempts comes a little over 24 hours after the first.
   */
  retryDelaysMs: env.get('WEBHOOK_RETRY_DELAYS'),

  /** One attempt, from the connection to the last byte read, at most this long. */
  timeoutMs: 10_000,

  /** What is read of a receiver's answer; the rest is left unread. */
  maxResponseBytes: 64 * 1024,

  /** What the deliveries list keeps of a receiver's answer, per attempt. */
  keptResponseCharacters: 500,

  /** An endpoint whose attempts have all failed for this long is disabled. */
  disableAfterFailingMs: 5 * 24 * 3600 * 1000,

  /** An attempt in flight owns its delivery this long (a crashed worker's is taken over after). */
  attemptLeaseMs: 30_000,

  maxEndpointsPerUser: 10,

  /**
   * Private, loopback and link-local targets, and plain http: for development
   * and tests only, never in production whatever WEBHOOK_ALLOW_PRIVATE says.
   */
  allowsPrivateTargets: () => env.get('WEBHOOK_ALLOW_PRIVATE', false) && !app.inProduction,
}

export default webhooksConfig
