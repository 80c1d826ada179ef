import { test } from '@japa/runner'
import { classifyMailFailure, isPermanentMailError } from '#mails/mail_errors'

const smtpError = (responseCode: number, message: string) =>
  Object.assign(new Error(message), { responseCode })

test.group('Mail failures', () => {
  test('a failure reads as what happened, without the raw SMTP reply', ({ assert }) => {
    const cases: [unknown, string][] = [
      [
        smtpError(550, '550 5.1.1 <x@acme.test>: Recipient address rejected'),
        "the client's mail server refused the address",
      ],
      [
        smtpError(553, '553 mailbox name not allowed'),
        "the client's mail server refused the address",
      ],
      [
        smtpError(552, '552 Requested mail action aborted: exceeded storage'),
        "the client's mailbox is full",
      ],
      [smtpError(554, '554 5.2.2 mailbox full'), "the client's mailbox is full"],
      [
        smtpError(554, '554 5.7.1 Message rejected as spam'),
        "the client's mail server refused the message",
      ],
      [
        Object.assign(new Error('Invalid login: 535 Authentication failed'), {
          code: 'EAUTH',
          responseCode: 535,
        }),
        'Relance could not sign in to its mail server; the team is on it',
      ],
      [smtpError(421, '421 Service not available'), 'temporary failure, gave up after 6 tries'],
      [
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1025'), { code: 'ECONNREFUSED' }),
        'temporary failure, gave up after 6 tries',
      ],
    ]
    for (const [error, reason] of cases) {
      const classified = classifyMailFailure(error, 6)
      assert.equal(classified, reason, (error as Error).message)
      assert.notInclude(classified, (error as Error).message)
    }
    assert.equal(
      classifyMailFailure(new Error('socket hang up'), 1),
      'temporary failure, gave up after 1 try'
    )
  })

  test('only a 5xx answer is permanent', ({ assert }) => {
    assert.isTrue(isPermanentMailError(smtpError(550, 'no such user')))
    assert.isTrue(isPermanentMailError(smtpError(535, 'bad credentials')))
    assert.isFalse(isPermanentMailError(smtpError(421, 'try later')))
    assert.isFalse(
      isPermanentMailError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    )
  })
})
