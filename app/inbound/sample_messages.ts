import { randomUUID } from 'node:crypto'

/**
 * Messages of the three kinds, as raw RFC 5322 text, for trying the
 * receiver where no client can answer a relance (`node ace
 * inbound:send-test`, the tests, the benchmark): a person's reply, an
 * out-of-office, and a DSN (multipart/report) returning a relance.
 */

export type SampleMessage = {
  /** The SMTP envelope: '' is the null sender of a bounce. */
  envelope: { from: string; to: string }
  raw: string
}

const CRLF = '\r\n'

function headers(fields: Record<string, string>) {
  return Object.entries(fields)
    .map(([name, value]) => `${name}: ${value}`)
    .join(CRLF)
}

function common(from: string, to: string, subject: string) {
  return {
    'From': from,
    'To': to,
    'Subject': subject,
    'Date': new Date().toUTCString().replace('GMT', '+0000'),
    'Message-ID': `<${randomUUID()}@sample.relance.test>`,
    'MIME-Version': '1.0',
  }
}

/** A person's reply, with the relance quoted below as mail clients do. */
export function sampleReply(options: {
  from: string
  to: string
  text: string
  subject?: string
}): SampleMessage {
  const body = [
    ...options.text.split('\n'),
    '',
    `On ${new Date().toUTCString()}, Relance <no-reply@relance.test> wrote:`,
    '> Hello, a friendly reminder about your invoice.',
  ].join(CRLF)
  return {
    envelope: { from: addressOf(options.from), to: options.to },
    raw: `${headers({
      ...common(options.from, options.to, options.subject ?? 'Re: Your invoice'),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Transfer-Encoding': '8bit',
    })}${CRLF}${CRLF}${body}${CRLF}`,
  }
}

/** An out-of-office as Outlook sends it (subject prefix) and RFC 3834 marks it. */
export function sampleOutOfOffice(options: { from: string; to: string }): SampleMessage {
  return {
    envelope: { from: '', to: options.to },
    raw: `${headers({
      ...common(options.from, options.to, 'Automatic reply: Your invoice'),
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'Content-Type': 'text/plain; charset=utf-8',
    })}${CRLF}${CRLF}I am out of the office until Monday.${CRLF}`,
  }
}

/** A DSN returning a relance: `status` 5.x.x for good, 4.x.x a delay. */
export function sampleBounce(options: {
  to: string
  failedRecipient: string
  status?: string
}): SampleMessage {
  const status = options.status ?? '5.1.1'
  const permanent = status.startsWith('5')
  const boundary = `report-${randomUUID()}`
  const parts = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    permanent
      ? `Your message could not be delivered to ${options.failedRecipient}.`
      : `Delivery to ${options.failedRecipient} is delayed; the server keeps trying.`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.sample.relance.test',
    '',
    `Final-Recipient: rfc822; ${options.failedRecipient}`,
    `Action: ${permanent ? 'failed' : 'delayed'}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${permanent ? '550' : '451'} ${status} ${permanent ? 'User unknown' : 'Try again later'}`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    `To: ${options.failedRecipient}`,
    'Subject: Your invoice',
    '',
    `--${boundary}--`,
  ]
  return {
    envelope: { from: '', to: options.to },
    raw: `${headers({
      ...common(
        'Mail Delivery System <mailer-daemon@mx.sample.relance.test>',
        options.to,
        permanent ? 'Undelivered Mail Returned to Sender' : 'Delivery Status Notification (Delay)'
      ),
      'Auto-Submitted': 'auto-replied',
      'Content-Type': `multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    })}${CRLF}${CRLF}${parts.join(CRLF)}${CRLF}`,
  }
}

function addressOf(mailbox: string) {
  return /<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox
}
