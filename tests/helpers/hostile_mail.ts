/*
| Hostile inbound messages, as raw RFC 5322 text, each built for one reply
| address: what a broken or malicious mail system may send to the receiver
| or the webhook. Each comes with what it must lead to.
*/

const CRLF = '\r\n'

function message(to: string, fields: Record<string, string>, body: string) {
  const head = Object.entries({
    'From': 'Compta Acme <compta@acme.test>',
    'To': to,
    'Subject': 'Re: Relance',
    'Date': 'Mon, 7 Dec 2026 10:00:00 +0000',
    'Message-ID': `<${Math.random().toString(36).slice(2)}@hostile.test>`,
    'MIME-Version': '1.0',
    ...fields,
  })
    .map(([name, value]) => `${name}: ${value}`)
    .join(CRLF)
  return `${head}${CRLF}${CRLF}${body}`
}

/** Parts that never close, a boundary that never comes, base64 that is not. */
export function malformedMime(to: string) {
  return message(
    to,
    { 'Content-Type': 'multipart/mixed; boundary="never-closed"' },
    [
      '--never-closed',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Paid, see the transfer attached.',
      '--never-closed',
      'Content-Type: application/pdf; name="virement.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      '!!! this is not base64 ###',
      '--not-the-boundary--',
    ].join(CRLF)
  )
}

/** `depth` multiparts nested in one another. */
export function nestedParts(to: string, depth = 5_000) {
  let body = ''
  for (let n = 1; n < depth; n++) {
    body += `--b${n - 1}${CRLF}Content-Type: multipart/mixed; boundary="b${n}"${CRLF}${CRLF}`
  }
  body += `--b${depth - 1}${CRLF}Content-Type: text/plain${CRLF}${CRLF}deep${CRLF}`
  for (let n = depth - 1; n >= 0; n--) body += `--b${n}--${CRLF}`
  return message(to, { 'Content-Type': 'multipart/mixed; boundary="b0"' }, body)
}

/** A short reply carrying an attachment of `base64Bytes` of base64 text (76 characters a line). */
export function bigAttachment(to: string, base64Bytes = 9 * 1024 * 1024) {
  const decoded = Math.floor((base64Bytes * 76) / 78 / 4) * 3
  const base64 = Buffer.alloc(decoded, 0x25).toString('base64').replace(/.{76}/g, `$&${CRLF}`)
  return message(
    to,
    { 'Content-Type': 'multipart/mixed; boundary="att"' },
    [
      '--att',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Here is the remittance advice.',
      '--att',
      'Content-Type: application/pdf; name="remittance.pdf"',
      'Content-Disposition: attachment; filename="remittance.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      base64,
      '--att--',
      '',
    ].join(CRLF)
  )
}

/** A reply whose headers weigh `bytes`: one header folded over many lines. */
export function hugeHeaders(to: string, bytes = 1024 * 1024) {
  const line = `${'h'.repeat(70)}${CRLF} `
  return message(
    to,
    { 'X-Padding': line.repeat(Math.ceil(bytes / line.length)).trimEnd() },
    `Paid on Monday.${CRLF}`
  )
}

/** A charset no decoder knows, in the subject and the body. */
export function unknownCharset(to: string) {
  return message(
    to,
    {
      'Subject': '=?x-klingon-42?Q?Pay=E9?=',
      'Content-Type': 'text/plain; charset="x-klingon-42"',
      'Content-Transfer-Encoding': '8bit',
    },
    `Pay\xe9 hier, r\xe9f\xe9rence 4411.${CRLF}`
  )
}

/** Only HTML, with a script, a form and a tracking image: it must read as text. */
export function htmlOnly(to: string) {
  return message(
    to,
    { 'Content-Type': 'text/html; charset=utf-8' },
    '<html><body><script>alert(1)</script><p onclick="steal()">Paid <b>yesterday</b>.</p>' +
      '<form action="https://evil.test"><input name="iban"></form><img src="https://evil.test/t.png"></body></html>'
  )
}

/** A reply that says it comes from someone else (the freelancer, another client…). */
export function forgedFrom(
  to: string,
  from: string,
  text = 'Ignore the invoice, it is cancelled.'
) {
  return message(
    to,
    { 'From': from, 'Content-Type': 'text/plain; charset=utf-8' },
    `${text}${CRLF}`
  )
}

/** A hostile message and what it must come to once received and processed. */
export type HostileCase = {
  name: string
  build(to: string): string
  kind: 'reply' | 'unknown'
  /** The reply's own text, as the freelancer reads it. */
  text?: string
  attachments?: string[]
}

/** The corpus the receiver and the webhook both take: each stored (250 / 202), none a crash. */
export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'malformed MIME',
    build: malformedMime,
    kind: 'reply',
    text: 'Paid, see the transfer attached.',
    attachments: ['virement.pdf'],
  },
  { name: '5,000 nested parts', build: (to) => nestedParts(to), kind: 'unknown' },
  {
    name: 'a 9 MB base64 attachment',
    build: (to) => bigAttachment(to),
    kind: 'reply',
    text: 'Here is the remittance advice.',
    attachments: ['remittance.pdf'],
  },
  {
    name: '1 MB of headers',
    build: (to) => hugeHeaders(to),
    kind: 'reply',
    text: 'Paid on Monday.',
  },
  {
    name: 'an unknown charset',
    build: unknownCharset,
    kind: 'reply',
    text: 'Pay\ufffd hier, r\ufffdf\ufffdrence 4411.',
  },
  {
    name: 'HTML only, with a script, a form and an image',
    build: htmlOnly,
    kind: 'reply',
    // Text made of the HTML: no tag, no script, the image a bare address
    text: 'Paid yesterday.\n\n[https://evil.test/t.png]',
  },
]

/** The bytes of a hostile message as sent: every character one byte (latin1). */
export const rawBytes = (text: string) => Buffer.from(text, 'latin1')
