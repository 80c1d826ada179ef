/*
| When each message reached the test SMTP inbox (tests/helpers/smtp_inbox.ts):
| the time it was accepted, i.e. once received and parsed.
*/
import type { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { waitFor } from '#tests/helpers/wait_for'

export class MailClock {
  /** Epoch milliseconds of each message of `inbox.messages`, same order. */
  readonly arrivals: number[] = []

  constructor(readonly inbox: SmtpInbox) {
    const messages = inbox.messages
    const push = messages.push.bind(messages)
    messages.push = (...mails) => {
      const now = Date.now()
      this.arrivals.push(...mails.map(() => now))
      return push(...mails)
    }
  }

  get count() {
    return this.arrivals.length
  }

  reset() {
    this.inbox.clear()
    this.arrivals.length = 0
  }

  /** Resolves once `count` messages have arrived; fails past the deadline. */
  waitForCount(count: number, timeoutMs: number) {
    return waitFor(`${count} emails in the inbox`, () => this.count >= count, {
      timeoutMs,
      intervalMs: 20,
    })
  }

  /** Messages per second between the first and the last arrival. */
  rate(): number | null {
    if (this.arrivals.length < 2) return null
    const span = this.arrivals[this.arrivals.length - 1] - this.arrivals[0]
    return span > 0 ? ((this.arrivals.length - 1) * 1000) / span : null
  }
}
