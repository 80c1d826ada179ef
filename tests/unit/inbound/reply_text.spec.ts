import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import {
  EXCERPT_LIMIT,
  REPLY_TEXT_LIMIT,
  excerptOf,
  replyText,
  safeLine,
} from '#inbound/reply_text'

test.group('Reply text', () => {
  test('the French multi-line attribution ends the reply, though the history has no > marks', async ({
    assert,
  }) => {
    const body = await readFile(
      new URL('../../fixtures/inbound/reply-fr-gmail-attribution-body-only.txt', import.meta.url),
      'utf8'
    )
    const { text } = replyText(body)
    assert.match(text, /^Fusce bibendum, quam hendrerit sagittis tempor/)
    assert.notInclude(text, 'a écrit')
    assert.notInclude(text, 'John - Acme')
  })

  test('"> " lines, "On … wrote:" and an Outlook "De :" block go; the client’s words stay', ({
    assert,
  }) => {
    for (const [body, kept] of [
      ['Payé hier.\n\n> Bonjour,\n> la facture FR-1', 'Payé hier.'],
      [
        'Paid on Monday.\n\nOn Mon, 7 Dec 2026 at 09:00, Camille <no-reply@relance.test> wrote:\n> Hello',
        'Paid on Monday.',
      ],
      [
        'Erreur de montant.\n\nDe : Camille <no-reply@relance.test>\nEnvoyé : lundi\nObjet : Relance',
        'Erreur de montant.',
      ],
    ]) {
      assert.equal(replyText(body).text, kept)
    }
  })

  test('the text keeps at most 10,000 characters and says it was cut', ({ assert }) => {
    const long = replyText('word '.repeat(5_000))
    assert.isTrue(long.truncated)
    assert.isAtMost(long.text.length, REPLY_TEXT_LIMIT)
    assert.isFalse(replyText('short').truncated)
  })

  test('control and direction characters never reach a quote; an excerpt is one line of 500 at most', ({
    assert,
  }) => {
    assert.equal(replyText('Pa\u202Eid\u0007 on\u0000 Monday').text, 'Paid on Monday')
    assert.equal(safeLine('Re:\r\n Bcc: x@y.z\t'), 'Re: Bcc: x@y.z')
    const excerpt = excerptOf(`${'a'.repeat(400)}\n${'b'.repeat(400)}`)
    assert.lengthOf(excerpt, EXCERPT_LIMIT)
    assert.notInclude(excerpt, '\n')
  })

  test('a line of a million characters is read within the window the stripper is given', ({
    assert,
  }) => {
    // Its expressions grow with the square of a line: unbounded, this line takes minutes
    const { text, truncated } = replyText(`Le ${'a '.repeat(500_000)}`)
    assert.isTrue(truncated)
    assert.lengthOf(text, REPLY_TEXT_LIMIT)
  })
})
